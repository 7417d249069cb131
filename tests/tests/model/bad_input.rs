//! Bad weights and bad images give errors that name the file and the problem.

use std::path::Path;

use arnet_model::params::HostTensor;
use arnet_model::preprocess::{ImageLoadError, decode_rgb};
use arnet_model::weights::{self, WeightFile};
use arnet_model::{Backend, EncoderRole};
use arnet_tests::{fixture, scratch_dir};

fn parity_a_tensors() -> Vec<(String, HostTensor)> {
    WeightFile::read(&fixture("parity-a", "weights.safetensors"))
        .unwrap()
        .tensors
        .into_iter()
        .collect()
}

fn load_error(path: &Path) -> String {
    let device = Backend::Cpu.device().unwrap();
    weights::load_encoder(path, EncoderRole::Sketch, Some(4), &device)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_checkpoint_that_does_not_fit_names_every_offending_tensor() {
    let dir = scratch_dir("bad-weights");
    let mut tensors = parity_a_tensors();
    tensors.retain(|(name, _)| name != "encoder.blocks.1.mlp.fc2.bias");
    for (name, tensor) in &mut tensors {
        if name == "encoder.blocks.0.attn.proj.weight" {
            *tensor = HostTensor::new(vec![64, 32], vec![0.0; 64 * 32]);
        }
    }
    tensors.push((
        "encoder.blocks.0.extra".into(),
        HostTensor::new(vec![3], vec![0.0; 3]),
    ));
    let path = dir.join("broken.safetensors");
    weights::write_safetensors(&path, tensors, Default::default()).unwrap();
    let err = load_error(&path);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("missing (1): encoder.blocks.1.mlp.fc2.bias"),
        "{err}"
    );
    assert!(
        err.contains(
            "encoder.blocks.0.attn.proj.weight: file has [64, 32], model expects [64, 64]"
        ),
        "{err}"
    );
    assert!(
        err.contains("unexpected (1): encoder.blocks.0.extra"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn files_that_are_not_checkpoints_are_refused_with_their_path() {
    let dir = scratch_dir("not-weights");
    let text = dir.join("notes.pth");
    std::fs::write(&text, "this is not a checkpoint").unwrap();
    let err = load_error(&text);
    assert!(
        err.contains("notes.pth") && err.contains("not a readable weight file"),
        "{err}"
    );

    let missing = dir.join("missing.safetensors");
    let err = load_error(&missing);
    assert!(err.contains("missing.safetensors"), "{err}");

    // A truncated checkpoint.
    let bytes = std::fs::read(fixture("parity-a", "checkpoint.pth")).unwrap();
    let cut = dir.join("cut.pth");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_error(&cut);
    assert!(err.contains("cut.pth"), "{err}");
}

#[test]
fn asking_a_one_encoder_file_for_a_pair_says_so() {
    let device = Backend::Cpu.device().unwrap();
    let err = weights::load_pair(&fixture("parity-a", "img.safetensors"), Some(4), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("img.safetensors")
            && err.contains("the sketch encoder is missing")
            && err.contains("two-encoder file"),
        "{err}"
    );
}

#[test]
fn bad_images_are_refused_with_their_path() {
    let dir = scratch_dir("bad-images");
    let garbage = dir.join("garbage.png");
    std::fs::write(&garbage, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let err = decode_rgb(&garbage).unwrap_err();
    assert!(matches!(err, ImageLoadError::Decode { .. }));
    assert!(err.to_string().contains("garbage.png"));

    // A JPEG cut in half decodes "successfully" with the image crate; we refuse it.
    let jpeg = std::fs::read(fixture("parity-b", "input_colour.jpg")).unwrap();
    let half = dir.join("half.jpg");
    std::fs::write(&half, &jpeg[..jpeg.len() / 2]).unwrap();
    let err = decode_rgb(&half).unwrap_err();
    assert!(matches!(err, ImageLoadError::TruncatedJpeg { .. }), "{err}");
    assert!(err.to_string().contains("half.jpg"));

    // A tiny PNG that declares an enormous image is refused before allocating it.
    let huge = dir.join("huge.png");
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut png);
    image::ImageEncoder::write_image(encoder, &[255u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
        .unwrap();
    // Patch the IHDR width/height (bytes 16..24) to 30000 x 30000; the CRC will be wrong too.
    png[16..20].copy_from_slice(&30000u32.to_be_bytes());
    png[20..24].copy_from_slice(&30000u32.to_be_bytes());
    std::fs::write(&huge, &png).unwrap();
    let err = decode_rgb(&huge).unwrap_err();
    assert!(err.to_string().contains("huge.png"), "{err}");

    let absent = dir.join("absent.png");
    assert!(
        decode_rgb(&absent)
            .unwrap_err()
            .to_string()
            .contains("absent.png")
    );
}

#[test]
fn sixteen_bit_and_gray_images_decode_to_rgb() {
    let dir = scratch_dir("deep-images");
    let path = dir.join("gray16.png");
    let gray = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(4, 2, |x, _| {
        image::Luma([(x as u16) * 21845]) // 0, 21845, 43690, 65535
    });
    gray.save(&path).unwrap();
    let rgb = decode_rgb(&path).unwrap();
    assert_eq!(rgb.dimensions(), (4, 2));
    let row: Vec<[u8; 3]> = (0..4).map(|x| rgb.get_pixel(x, 0).0).collect();
    assert_eq!(row, vec![[0; 3], [85; 3], [170; 3], [255; 3]]);
}
