//! Name rules: which tensors of a file belong to which encoder, the renames to our canonical
//! names, and what is left out on purpose (timm's classifier).

use super::{FileContents, WeightFile, WeightsError};
use crate::encoder::EncoderRole;
use crate::params::HostTensor;

impl WeightFile {
    /// The tensors of `role`'s state dict with their canonical names (`None`: ignored on
    /// purpose), and whether the names are a bare timm backbone's. Borrows, copies nothing.
    #[allow(clippy::type_complexity)]
    pub(super) fn select(
        &self,
        role: EncoderRole,
    ) -> Result<(bool, Vec<(&String, Option<String>, &HostTensor)>), WeightsError> {
        let key = role.state_dict_key();
        let other = role.other().state_dict_key();
        let has = |k: &str| {
            let prefix = format!("{k}.");
            self.tensors.keys().any(|name| name.starts_with(&prefix))
        };
        let prefix = if has(key) {
            Some(format!("{key}."))
        } else if has(other) {
            return Err(WeightsError::Config {
                path: self.path.clone(),
                message: format!(
                    "holds only the {} encoder (`{other}`); the {} encoder (`{key}`) is missing",
                    role.other().label(),
                    role.label()
                ),
            });
        } else {
            None
        };
        // Names without the role prefix, for this role's tensors.
        let selected: Vec<(&String, &str, &HostTensor)> = self
            .tensors
            .iter()
            .filter_map(|(name, t)| match &prefix {
                Some(p) => name.strip_prefix(p.as_str()).map(|local| (name, local, t)),
                None => Some((name, name.as_str(), t)),
            })
            .collect();
        let is_timm = !selected.iter().any(|(_, local, _)| {
            let local = local.strip_prefix("module.").unwrap_or(local);
            local.starts_with("encoder.")
        });
        let entries = selected
            .into_iter()
            .map(|(name, local, t)| (name, canonical_name(local, is_timm), t))
            .collect();
        Ok((is_timm, entries))
    }

    /// Every tensor of the file that loading leaves out on purpose (timm's classifier), by its
    /// name in the file, sorted. The same for every role: a pair reports both encoders'.
    pub fn ignored_tensors(&self) -> Vec<IgnoredTensor> {
        let roles: &[EncoderRole] = match self.contents() {
            FileContents::Pair => &[EncoderRole::Sketch, EncoderRole::Photo],
            FileContents::OnlySketch => &[EncoderRole::Sketch],
            FileContents::OnlyPhoto | FileContents::SingleEncoder => &[EncoderRole::Photo],
        };
        let mut ignored: Vec<IgnoredTensor> = roles
            .iter()
            .filter_map(|role| self.select(*role).ok())
            .flat_map(|(_, entries)| entries)
            .filter(|(_, canonical, _)| canonical.is_none())
            .map(|(name, _, tensor)| IgnoredTensor {
                name: name.clone(),
                shape: tensor.shape.clone(),
            })
            .collect();
        ignored.sort_by(|a, b| a.name.cmp(&b.name));
        ignored
    }

    /// One line saying which tensors are ignored and why, or `None` when none are: what the
    /// CLI prints once on stderr when it loads the file.
    pub fn ignored_note(&self) -> Option<String> {
        let ignored = self.ignored_tensors();
        if ignored.is_empty() {
            return None;
        }
        let list: Vec<String> = ignored
            .iter()
            .map(|t| format!("{} {:?}", t.name, t.shape))
            .collect();
        Some(format!(
            "{}: ignoring timm's ImageNet classifier, which ARNet does not use ({} tensors): {}",
            self.path.display(),
            list.len(),
            list.join(", ")
        ))
    }
}

/// A tensor of a file that loading leaves out on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredTensor {
    /// Its name in the file (with any `skt_model.` / `img_model.` / `module.` prefix).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// The rename table: a name in a file to our canonical name, or `None` to ignore it.
///
/// `is_timm` says the state dict is a bare timm ViT (no `encoder.` prefix anywhere).
pub fn canonical_name(name: &str, is_timm: bool) -> Option<String> {
    // DataParallel wraps every name in `module.`.
    let name = name.strip_prefix("module.").unwrap_or(name);
    if is_timm_classifier(name, is_timm) {
        return None;
    }
    if is_timm {
        // timm names are the backbone's names without our `encoder.` prefix.
        return Some(format!("encoder.{name}"));
    }
    Some(name.to_string())
}

/// Whether `name` (without `module.`) is timm's ImageNet classifier, which ARNet never uses:
/// `timm.create_model(..., pretrained=True)` keeps its 1000-class `head` (a ViT's; with
/// global pooling also `fc_norm`; an EfficientNet's is `classifier`), so the authors'
/// checkpoints hold `encoder.head.*` and timm's own files
/// `head.*`. ARNet's head is `mlp_head.0`, applied to the class token.
fn is_timm_classifier(name: &str, is_timm: bool) -> bool {
    let backbone_name = if is_timm {
        Some(name)
    } else {
        name.strip_prefix("encoder.")
    };
    backbone_name.is_some_and(|n| {
        n.starts_with("head.")
            || n.starts_with("classifier.")
            || (is_timm && n.starts_with("fc_norm."))
    })
}
