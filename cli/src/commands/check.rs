//! `arnet check`: a data folder's counts per split and every problem found.

use std::path::PathBuf;

use arnet_training::{dataset, pseudo_pairs};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Data folder (trainA/ trainB/ testA/ testB/, optionally valA/ valB/).
    #[arg(long)]
    data: PathBuf,
}

pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    if !args.data.is_dir() {
        anyhow::bail!("{}: not a folder", args.data.display());
    }
    let (report, splits) = dataset::check_folder(&args.data);
    print!("{report}");
    if let Some(train) = splits.get(&dataset::SplitName::Train) {
        let without = train.photos.len() - pseudo_pairs::photos_with_sketches(train);
        if without > 0 {
            println!(
                "train: {without} photo(s) without a drawn sketch: `arnet train` gives them \
                 pseudo-sketches (--pseudo-sketches auto; off leaves them out)"
            );
        }
    }
    Ok(())
}
