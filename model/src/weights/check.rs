//! Checking tensors against a module's parameters ([`TensorCheck`]) and copying them in only
//! when every name and shape fits ([`StateDict::apply`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use burn::tensor::Device;

use super::{LoadScope, StateDict, WeightsError};
use crate::encoder::ArnetEncoder;
use crate::params::{HostTensor, VisitParams};

impl StateDict {
    /// Copies the tensors into `encoder`, checking every name and shape first.
    ///
    /// On error nothing is changed and the message lists every missing, unexpected and
    /// wrongly shaped tensor.
    pub fn apply(
        &self,
        encoder: &mut ArnetEncoder,
        scope: LoadScope,
        device: &Device,
    ) -> Result<(), WeightsError> {
        let in_scope = |name: &str| scope == LoadScope::Full || name.starts_with("encoder.");
        let check = TensorCheck::of(encoder, &self.tensors, in_scope);
        if !check.fits() {
            let wrong_shape: Vec<String> = check
                .wrong_shape
                .iter()
                .map(|(name, found, expected)| {
                    format!("{name}: file has {found:?}, model expects {expected:?}")
                })
                .collect();
            let mut details = String::new();
            for (label, items) in [
                ("missing", check.missing.iter().collect::<Vec<_>>()),
                ("wrong shape", wrong_shape.iter().collect()),
                ("unexpected", check.unexpected.iter().collect()),
            ] {
                if !items.is_empty() {
                    let list: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
                    let _ = write!(details, " {label} ({}): {};", list.len(), list.join(", "));
                }
            }
            details.pop();
            return Err(WeightsError::Mismatch {
                path: self.path.clone(),
                details,
            });
        }
        encoder.visit_params("", &mut |name, slot| {
            if in_scope(name) {
                slot.set(&self.tensors[name], device);
            }
        });
        Ok(())
    }

    /// Builds an encoder from these tensors (configuration as [`infer_config`](Self::infer_config)).
    pub fn load_encoder(
        &self,
        heads: Option<usize>,
        device: &Device,
    ) -> Result<ArnetEncoder, WeightsError> {
        let config = self.infer_config(heads)?;
        let mut encoder = config
            .init(device)
            .map_err(|e| self.config_error(e.to_string()))?;
        self.apply(&mut encoder, LoadScope::Full, device)?;
        Ok(encoder)
    }
}

/// How a module's parameters fit a file's tensors: the walk every loader does before it copies
/// anything, so that an error can list every problem and nothing is changed on error.
#[derive(Debug, Default)]
pub struct TensorCheck {
    /// Parameters (in scope) with no tensor of their name.
    pub missing: Vec<String>,
    /// (name, the file's shape, the module's shape) where they differ.
    pub wrong_shape: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// Tensors (in scope) no parameter takes.
    pub unexpected: Vec<String>,
}

impl TensorCheck {
    /// Checks `module`'s parameters whose name is `in_scope` against `tensors` (PyTorch
    /// names and layouts).
    pub fn of<M: VisitParams>(
        module: &mut M,
        tensors: &BTreeMap<String, HostTensor>,
        in_scope: impl Fn(&str) -> bool,
    ) -> Self {
        let mut check = Self::default();
        let mut used = std::collections::HashSet::new();
        module.visit_params("", &mut |name, slot| {
            if !in_scope(name) {
                return;
            }
            match tensors.get(name) {
                None => check.missing.push(name.to_string()),
                Some(t) => {
                    used.insert(name.to_string());
                    let expected = slot.torch_shape();
                    if t.shape != expected {
                        check
                            .wrong_shape
                            .push((name.to_string(), t.shape.clone(), expected));
                    }
                }
            }
        });
        check.unexpected = tensors
            .keys()
            .filter(|k| !used.contains(*k) && in_scope(k))
            .cloned()
            .collect();
        check
    }

    /// Whether every tensor fits.
    pub fn fits(&self) -> bool {
        self.missing.is_empty() && self.wrong_shape.is_empty() && self.unexpected.is_empty()
    }
}
