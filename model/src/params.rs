//! One structural walk over a module's parameters, under their PyTorch names.
//!
//! Loading and saving weights both need "every parameter, with the name PyTorch gives it and
//! its PyTorch layout". Rather than keep two lists in sync, each module implements
//! [`VisitParams`] once; the loader and the saver in [`crate::weights`] are two visitors.
//! PyTorch stores a Linear weight as `[out, in]` while Burn's `Linear` holds `[in, out]`;
//! [`ParamSlot::LinearWeight`] marks those so the transpose happens in one place.

use burn::module::{Param, ParamId};
use burn::nn::conv::Conv2d;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{Device, Gradients, Tensor, TensorData};

/// A dense f32 tensor on the host, in PyTorch's (row-major) layout.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Extents, outermost first.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

impl HostTensor {
    /// Wraps `data`, checking that it fills `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "host tensor data does not fill its shape"
        );
        Self { shape, data }
    }

    /// The transpose of a `[rows, cols]` tensor, as a new row-major `[cols, rows]` one.
    pub fn transposed_2d(&self) -> Self {
        let [rows, cols] = self.shape[..] else {
            panic!("transposed_2d of a {}-d tensor", self.shape.len())
        };
        let mut data = vec![0.0; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                data[c * rows + r] = self.data[r * cols + c];
            }
        }
        Self::new(vec![cols, rows], data)
    }

    fn from_tensor<const D: usize>(tensor: Tensor<D>) -> Self {
        let shape = tensor.dims().to_vec();
        let data = tensor
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("float tensor converts to f32");
        Self { shape, data }
    }

    fn to_tensor<const D: usize>(&self, device: &Device) -> Tensor<D> {
        Tensor::from_data(
            TensorData::new(self.data.clone(), self.shape.clone()),
            device,
        )
    }
}

/// A mutable reference to one parameter, tagged with how PyTorch lays it out.
#[derive(Debug)]
pub enum ParamSlot<'a> {
    /// A vector (biases, norm weights).
    Rank1(&'a mut Param<Tensor<1>>),
    /// A Linear weight: Burn `[in, out]`, PyTorch `[out, in]`.
    LinearWeight(&'a mut Param<Tensor<2>>),
    /// A rank-3 tensor stored identically by both (class token, position embedding).
    Rank3(&'a mut Param<Tensor<3>>),
    /// A rank-4 tensor stored identically by both (convolution weights).
    Rank4(&'a mut Param<Tensor<4>>),
}

impl ParamSlot<'_> {
    /// The shape PyTorch gives this parameter.
    ///
    /// Read with `lazy_shape`, which leaves a freshly built parameter uninitialised: loading a
    /// file then never draws a random initialisation it would throw away (time, and numbers
    /// taken from Burn's process-wide generator that a training run in the same process uses).
    pub fn torch_shape(&self) -> Vec<usize> {
        match self {
            Self::Rank1(p) => p.lazy_shape().to_vec(),
            Self::LinearWeight(p) => {
                let dims = p.lazy_shape();
                vec![dims[1], dims[0]]
            }
            Self::Rank3(p) => p.lazy_shape().to_vec(),
            Self::Rank4(p) => p.lazy_shape().to_vec(),
        }
    }

    /// Copies the value out, in PyTorch layout.
    pub fn to_host(&self) -> HostTensor {
        match self {
            Self::Rank1(p) => HostTensor::from_tensor(p.val()),
            Self::LinearWeight(p) => HostTensor::from_tensor(p.val().transpose()),
            Self::Rank3(p) => HostTensor::from_tensor(p.val()),
            Self::Rank4(p) => HostTensor::from_tensor(p.val()),
        }
    }

    /// This parameter's gradient in PyTorch layout, if `grads` holds one.
    pub fn grad(&self, grads: &Gradients) -> Option<HostTensor> {
        match self {
            Self::Rank1(p) => p.val().grad(grads).map(HostTensor::from_tensor),
            Self::LinearWeight(p) => p
                .val()
                .grad(grads)
                .map(|g| HostTensor::from_tensor(g.transpose())),
            Self::Rank3(p) => p.val().grad(grads).map(HostTensor::from_tensor),
            Self::Rank4(p) => p.val().grad(grads).map(HostTensor::from_tensor),
        }
    }

    /// Gives the parameter a new id (the key of its optimiser state).
    pub fn set_id(self, id: ParamId) {
        match self {
            Self::Rank1(p) => p.id = id,
            Self::LinearWeight(p) => p.id = id,
            Self::Rank3(p) => p.id = id,
            Self::Rank4(p) => p.id = id,
        }
    }

    /// Replaces the value with `value` (PyTorch layout, shape already checked), keeping the
    /// parameter's id so optimiser state stays attached to it.
    pub fn set(self, value: &HostTensor, device: &Device) {
        fn replace<const D: usize>(param: &mut Param<Tensor<D>>, tensor: Tensor<D>) {
            let id = param.id;
            // `from_tensor` marks the parameter trainable (on an autodiff device now, or
            // when the module later moves to one).
            *param = Param::from_tensor(tensor);
            param.id = id;
        }
        match self {
            Self::Rank1(p) => replace(p, value.to_tensor(device)),
            // Transposed on the host, so the parameter is a contiguous `[in, out]` tensor like
            // a freshly initialised one: a transposed view multiplies with another memory
            // order, which changed the rounding of the first steps after a resume.
            Self::LinearWeight(p) => replace(p, value.transposed_2d().to_tensor::<2>(device)),
            Self::Rank3(p) => replace(p, value.to_tensor(device)),
            Self::Rank4(p) => replace(p, value.to_tensor(device)),
        }
    }
}

/// Visits every parameter of a module with its full PyTorch name (`prefix` + local name).
pub trait VisitParams {
    /// Calls `visit` once per parameter, in a fixed order.
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>));
}

impl VisitParams for Linear {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        visit(
            &format!("{prefix}weight"),
            ParamSlot::LinearWeight(&mut self.weight),
        );
        if let Some(bias) = &mut self.bias {
            visit(&format!("{prefix}bias"), ParamSlot::Rank1(bias));
        }
    }
}

impl VisitParams for LayerNorm {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        visit(
            &format!("{prefix}weight"),
            ParamSlot::Rank1(&mut self.gamma),
        );
        if let Some(beta) = &mut self.beta {
            visit(&format!("{prefix}bias"), ParamSlot::Rank1(beta));
        }
    }
}

impl VisitParams for Conv2d {
    fn visit_params(&mut self, prefix: &str, visit: &mut dyn FnMut(&str, ParamSlot<'_>)) {
        visit(
            &format!("{prefix}weight"),
            ParamSlot::Rank4(&mut self.weight),
        );
        if let Some(bias) = &mut self.bias {
            visit(&format!("{prefix}bias"), ParamSlot::Rank1(bias));
        }
    }
}

/// Visits a BatchNorm's four vectors under PyTorch's names, in PyTorch's order: `weight`,
/// `bias`, `running_mean`, `running_var` (its integer `num_batches_tracked` is not a float
/// tensor and is never read or written).
pub fn visit_batch_norm(
    prefix: &str,
    [weight, bias, running_mean, running_var]: [&mut Param<Tensor<1>>; 4],
    visit: &mut dyn FnMut(&str, ParamSlot<'_>),
) {
    for (name, param) in [
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ] {
        visit(&format!("{prefix}{name}"), ParamSlot::Rank1(param));
    }
}

/// Gives every parameter an id derived from its name (64-bit FNV-1a).
///
/// Burn draws parameter ids at random when a module is built, and the optimiser keys its
/// state (Adam's moments) by id. Name-derived ids make that state valid for any module of the
/// same architecture, which is what resuming a training run needs: the model is rebuilt, the
/// ids are re-derived, and the saved optimiser state attaches to the same parameters.
pub fn assign_stable_ids<M: VisitParams>(module: &mut M) {
    module.visit_params("", &mut |name, slot| {
        slot.set_id(ParamId::from(crate::hash::fnv1a(name.as_bytes())));
    });
}

/// Every parameter of `module` as `(PyTorch name, value)`, in visit order.
pub fn collect_host<M: VisitParams>(module: &mut M) -> Vec<(String, HostTensor)> {
    let mut out = Vec::new();
    module.visit_params("", &mut |name, slot| {
        out.push((name.to_string(), slot.to_host()))
    });
    out
}

/// Sets every parameter of `module` from `values`, which [`collect_host`] took from a module
/// of the same architecture (same names, same order, same shapes); ids are kept.
///
/// # Panics
/// If `values` does not list exactly `module`'s parameters in visit order.
pub fn assign_host<M: VisitParams>(
    module: &mut M,
    values: &[(String, HostTensor)],
    device: &Device,
) {
    let mut next = values.iter();
    module.visit_params("", &mut |name, slot| {
        let (expected, value) = next.next().expect("a value for every parameter");
        assert_eq!(name, expected, "parameters in visit order");
        assert_eq!(slot.torch_shape(), value.shape, "{name}: same shape");
        slot.set(value, device);
    });
    assert!(next.next().is_none(), "no values left over");
}

/// Every parameter's gradient as `(PyTorch name, gradient or None)`, in visit order.
pub fn collect_grads<M: VisitParams>(
    module: &mut M,
    grads: &Gradients,
) -> Vec<(String, Option<HostTensor>)> {
    let mut out = Vec::new();
    module.visit_params("", &mut |name, slot| {
        out.push((name.to_string(), slot.grad(grads)))
    });
    out
}

/// Every parameter of `module` as `(PyTorch name, PyTorch shape)`, in visit order.
pub fn expected_shapes<M: VisitParams>(module: &mut M) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    module.visit_params("", &mut |name, slot| {
        out.push((name.to_string(), slot.torch_shape()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;
    use burn::nn::LinearConfig;

    /// Loading checks every shape before it copies a value; reading a shape must not run the
    /// random initialisation that the loaded value replaces.
    #[test]
    fn reading_shapes_leaves_a_new_module_uninitialised() {
        let device = Backend::Cpu.device().unwrap();
        let mut linear = LinearConfig::new(3, 2).init(&device);
        assert!(!linear.weight.is_initialized());
        let shapes = expected_shapes(&mut linear);
        assert_eq!(
            shapes,
            [("weight".into(), vec![2, 3]), ("bias".into(), vec![2])]
        );
        assert!(!linear.weight.is_initialized());
        assert!(!linear.bias.as_ref().unwrap().is_initialized());
    }

    #[test]
    fn transposed_2d_swaps_rows_and_columns() {
        let t = HostTensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let u = t.transposed_2d();
        assert_eq!(u.shape, [3, 2]);
        assert_eq!(u.data, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(u.transposed_2d(), t);
    }
}
