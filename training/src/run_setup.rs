//! What a training run needs before its first step: the run folder (new, or resumed with the
//! same recipe), the data splits (with pseudo-sketches and a validation carve), the decoded
//! images, and the starting pair. [`crate::train`] runs the epochs.

use std::path::PathBuf;

use anyhow::{Context, bail};
use arnet_model::burn::tensor::Device;
use arnet_model::preprocess::{model_input, sketch_input};
use arnet_model::weights::{LoadScope, WeightFile};
use arnet_model::{ArnetEncoderConfig, ArnetPair, BackboneConfig, EncoderRole};
use clap::ValueEnum;

use crate::batches::parallel_map;
use crate::checkpoint::{RunDir, RunState};
use crate::dataset::{self, SketchEntry, Split, SplitName};
use crate::evaluate::PreparedSplit;
use crate::recipe::{BackboneKind, Init, Recipe};
use crate::rng::Rng;
use crate::train::TrainOptions;

const VAL_STREAM: u64 = 21;

/// Opens the run folder: a new run writes its recipe; `--resume` needs the interrupted run's
/// state and the same recipe. Returns the saved state when resuming.
pub(crate) fn open_run(options: &TrainOptions, run: &RunDir) -> anyhow::Result<Option<RunState>> {
    let recipe = &options.recipe;
    let previous = run.read_state()?;
    match (&previous, options.resume) {
        (Some(_), false) => bail!(
            "{}: already holds a training run; pass --resume to continue it or choose another --out",
            options.out.display()
        ),
        (None, true) => bail!(
            "{}: nothing to resume (no {})",
            options.out.display(),
            run.state().display()
        ),
        (Some(_), true) => {
            let text = std::fs::read_to_string(run.recipe())
                .with_context(|| format!("{}", run.recipe().display()))?;
            let saved: Recipe = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a recipe", run.recipe().display()))?;
            let differences = recipe_differences(&saved, recipe);
            if !differences.is_empty() {
                bail!(
                    "{}: --resume needs the same recipe as the interrupted run; differs in {}",
                    run.recipe().display(),
                    differences.join("; ")
                );
            }
        }
        (None, false) => {
            std::fs::create_dir_all(&options.out)
                .with_context(|| format!("creating {}", options.out.display()))?;
            arnet_model::fsutil::write_atomic(&run.recipe(), &serde_json::to_vec_pretty(recipe)?)
                .with_context(|| format!("{}", run.recipe().display()))?;
        }
    }
    Ok(previous)
}

/// The run's splits.
pub(crate) struct Splits {
    /// Training pairs (with pseudo-sketches where the recipe asks for them).
    pub train: Split,
    /// Validation: `valA/ valB/`, or a seeded share carved out of train.
    pub val: Split,
    /// The test split, when it has sketches.
    pub test: Option<Split>,
}

/// The data, checked first (every problem is listed, none stops the run), pseudo-sketches
/// added, validation carved when the folder has none.
pub(crate) fn load_splits(options: &TrainOptions) -> anyhow::Result<Splits> {
    let recipe = &options.recipe;
    let (report, mut splits) = dataset::check_folder(&options.data);
    eprint!("{report}");
    let mut train_split = splits.remove(&SplitName::Train).unwrap_or_default();
    let sources = crate::pseudo_pairs::add(
        &mut train_split,
        &crate::pseudo_pairs::PseudoOptions {
            mode: recipe.pseudo_sketches,
            method: options.pseudo_method,
            weights: options.pseudo_weights.clone(),
            dir: options.out.join("pseudo-sketches"),
            device: options.backend,
            workers: options.workers,
        },
    )?;
    eprintln!("{sources}");
    let (train, val) = match splits.remove(&SplitName::Val) {
        Some(val) if !val.sketches.is_empty() => (train_split, val),
        _ => {
            let (train, val) = carve_validation(&train_split, recipe.val_fraction, recipe.seed)?;
            eprintln!(
                "validation: {} sketches / {} photos held out of train (seed {}, --val-fraction {})",
                val.sketches.len(),
                val.photos.len(),
                recipe.seed,
                recipe.val_fraction
            );
            (train, val)
        }
    };
    if train.sketches.len() < 2 {
        bail!(
            "{}: the training split has {} usable sketch(es); at least 2 are needed",
            options.data.display(),
            train.sketches.len()
        );
    }
    let test = splits
        .remove(&SplitName::Test)
        .filter(|s| !s.sketches.is_empty());
    Ok(Splits { train, val, test })
}

/// Moves a seeded share of the training photos (with their sketches) to a validation split.
///
/// At least one photo goes to validation and at least two stay for training.
pub fn carve_validation(train: &Split, fraction: f32, seed: u64) -> anyhow::Result<(Split, Split)> {
    let photos = train.photos.len();
    let wanted = ((photos as f32) * fraction).round() as usize;
    let count = wanted.max(1).min(photos.saturating_sub(2));
    if count == 0 {
        bail!(
            "the training split has {photos} photos: too few to hold some out for validation \
             (add valA/ valB/ folders or more photos)"
        );
    }
    let mut order: Vec<usize> = (0..photos).collect();
    Rng::for_item(seed, VAL_STREAM, 0).shuffle(&mut order);
    let mut held_out = vec![false; photos];
    for &i in &order[..count] {
        held_out[i] = true;
    }
    let mut parts = [Split::default(), Split::default()]; // [train, val]
    let mut new_index = vec![0; photos];
    for (i, photo) in train.photos.iter().enumerate() {
        let part = &mut parts[usize::from(held_out[i])];
        new_index[i] = part.photos.len();
        part.photos.push(photo.clone());
    }
    for sketch in &train.sketches {
        parts[usize::from(held_out[sketch.photo])]
            .sketches
            .push(SketchEntry {
                path: sketch.path.clone(),
                photo: new_index[sketch.photo],
            });
    }
    let [train, val] = parts;
    Ok((train, val))
}

/// Decodes a split into model inputs.
pub(crate) fn prepare(split: &Split, size: usize, workers: usize) -> anyhow::Result<PreparedSplit> {
    let paths: Vec<PathBuf> = split.sketches.iter().map(|s| s.path.clone()).collect();
    let sketches = crate::batches::decode_all(&paths, workers)?;
    let photos = crate::batches::decode_all(&split.photos, workers)?;
    Ok(PreparedSplit {
        sketches: parallel_map(sketches.len(), workers, |i| {
            sketch_input(&sketches[i], size)
        }),
        photos: parallel_map(photos.len(), workers, |i| model_input(&photos[i], size)),
        owners: split.sketches.iter().map(|s| s.photo).collect(),
    })
}

/// Builds the starting pair on `device` as the recipe says.
pub(crate) fn initial_pair(recipe: &Recipe, device: &Device) -> anyhow::Result<ArnetPair> {
    let pair = match &recipe.init {
        Init::Scratch => {
            let config = recipe.encoder_config()?;
            ArnetPair::init(&config, device)?
        }
        Init::Backbone(path) => {
            let file = WeightFile::read_with_note(path)?;
            let sketch_dict = file.state_dict(EncoderRole::Sketch)?;
            let mut backbone = sketch_dict.infer_backbone(recipe.model.heads)?;
            let found = BackboneKind::of(&backbone);
            if let Some(asked) = recipe.model.backbone
                && asked != found
            {
                bail!(
                    "{}: --backbone {} but the file's backbone is {}",
                    path.display(),
                    asked.to_possible_value().expect("named").get_name(),
                    found.to_possible_value().expect("named").get_name()
                );
            }
            // A CNN takes any input size; a ViT's follows from its position embedding.
            if let (BackboneConfig::EfficientNet(net), Some(size)) =
                (&mut backbone, recipe.model.image_size)
            {
                net.image_size = size;
            }
            if let (BackboneConfig::Vit(vit), Some(size)) = (&backbone, recipe.model.image_size)
                && vit.image_size != size
            {
                let hint = if found == BackboneKind::Dinov2S14 {
                    format!(
                        "; convert it for {size} px with `bash scripts/convert_pretrained.sh \
                         --only dinov2-s14 --dinov2-image-size {size}`"
                    )
                } else {
                    String::new()
                };
                bail!(
                    "{}: --image-size {size} but the file's position embedding is for {} px \
                     ({} x {} patches of {} px){hint}",
                    path.display(),
                    vit.image_size,
                    vit.grid_size(),
                    vit.grid_size(),
                    vit.patch_size
                );
            }
            let mstr = recipe.mstr_config(&backbone);
            let config = ArnetEncoderConfig::new(backbone).with_mstr(mstr);
            let mut pair = ArnetPair::init(&config, device)?;
            sketch_dict.apply(&mut pair.sketch, LoadScope::BackboneOnly, device)?;
            file.state_dict(EncoderRole::Photo)?.apply(
                &mut pair.photo,
                LoadScope::BackboneOnly,
                device,
            )?;
            pair
        }
        Init::Checkpoint(path) => {
            let file = WeightFile::read_with_note(path)?;
            let pair = file.load_pair(recipe.model.heads, device)?;
            if pair.sketch.mstr.is_some() != recipe.model.mstr {
                bail!(
                    "{}: the checkpoint {} MSTR but --mstr was {}; start a full model from \
                     --init-backbone instead",
                    path.display(),
                    if recipe.model.mstr { "has no" } else { "has" },
                    if recipe.model.mstr {
                        "given"
                    } else {
                        "not given"
                    },
                );
            }
            pair
        }
    };
    Ok(pair)
}

/// Names the recipe fields that differ between two runs (the epoch count is not a field).
fn recipe_differences(saved: &Recipe, asked: &Recipe) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(saved), serde_json::to_value(asked))
    else {
        return vec!["(unreadable)".into()];
    };
    a.iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, value)| {
            let asked = b.get(key).map(ToString::to_string).unwrap_or_default();
            format!("{key}: run has {value}, asked {asked}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(photos: usize, sketches_each: usize) -> Split {
        Split {
            photos: (0..photos)
                .map(|i| PathBuf::from(format!("B/{i}.png")))
                .collect(),
            sketches: (0..photos * sketches_each)
                .map(|k| SketchEntry {
                    path: PathBuf::from(format!("A/{}_{}.png", k / sketches_each, k)),
                    photo: k / sketches_each,
                })
                .collect(),
        }
    }

    #[test]
    fn validation_carve_moves_whole_photos_and_is_seeded() {
        let all = split(20, 3);
        let (train, val) = carve_validation(&all, 0.1, 5).unwrap();
        assert_eq!((train.photos.len(), val.photos.len()), (18, 2));
        assert_eq!((train.sketches.len(), val.sketches.len()), (54, 6));
        for part in [&train, &val] {
            for s in &part.sketches {
                let photo = part.photos[s.photo].file_stem().unwrap().to_str().unwrap();
                assert!(
                    s.path.to_str().unwrap().starts_with(&format!("A/{photo}_")),
                    "sketch follows its photo"
                );
            }
        }
        assert_eq!(carve_validation(&all, 0.1, 5).unwrap().1, val);
        assert!(carve_validation(&split(2, 1), 0.1, 0).is_err());
    }
}
