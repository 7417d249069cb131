//! What a CUDA device needs on this machine at run time, looked for before Burn is asked.
//!
//! The `cuda` build links LLVM statically and loads the rest when it runs: the NVIDIA driver
//! (`libcuda.so.1`, which cudarc opens with `dlopen`), a GPU the driver exposes, and
//! `libdevice.10.bc`, the bitcode of CUDA's math functions that cubecl's LLVM backend links into
//! every kernel calling `exp`, `erf`, `tanh`... (found through `CUDA_PATH` or the usual toolkit
//! folders). Without the first two cudarc panics with a generic message; without libdevice the
//! first such kernel fails mid-run, after the data is loaded. Checking the files first turns
//! each into one error that names the missing part and how to point at it. NVRTC is not
//! needed: cubecl only calls it for its C++ backend, which the default build does not use.
//!
//! The search is plain file-system reads (no `dlopen`, so no `unsafe`), compiled in every build
//! so its tests run where CI runs.

use std::fmt;
use std::path::{Path, PathBuf};

/// Toolkit folders cubecl-llvm 0.11 looks in for `nvvm/libdevice` when `CUDA_PATH` is unset.
const TOOLKIT_ROOTS: [&str; 4] = ["/usr/local/cuda", "/opt/cuda", "/usr/lib/cuda", "/usr"];

/// Library folders the dynamic loader searches by default on common Linux layouts, after
/// `LD_LIBRARY_PATH` and `/etc/ld.so.conf`; `/usr/lib/wsl/lib` is where WSL puts the driver.
const DEFAULT_LIBRARY_DIRS: [&str; 8] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
    "/usr/lib/wsl/lib",
];

/// Device nodes the NVIDIA driver creates for a GPU (`/dev/dxg` under WSL).
const DEVICE_NODES: [&str; 2] = ["/dev/nvidia0", "/dev/dxg"];

/// Where to look for each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CudaSearch {
    /// Folders searched for `libcuda.so*`, in the loader's order.
    pub library_dirs: Vec<PathBuf>,
    /// `CUDA_PATH` when set: then the only toolkit root, as in cubecl-llvm.
    pub cuda_path: Option<PathBuf>,
    /// Toolkit roots tried when `CUDA_PATH` is unset.
    pub toolkit_roots: Vec<PathBuf>,
    /// Any one of these existing means the driver exposes a GPU.
    pub device_nodes: Vec<PathBuf>,
}

impl CudaSearch {
    /// The search this process's environment and this machine's loader configuration imply.
    pub fn from_environment() -> Self {
        let mut library_dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
            .map(|paths| std::env::split_paths(&paths).collect())
            .unwrap_or_default();
        library_dirs.extend(ld_so_conf_dirs(Path::new("/etc/ld.so.conf")));
        library_dirs.extend(DEFAULT_LIBRARY_DIRS.iter().map(PathBuf::from));
        let mut seen = std::collections::HashSet::new();
        library_dirs.retain(|dir| !dir.as_os_str().is_empty() && seen.insert(dir.clone()));
        Self {
            library_dirs,
            cuda_path: std::env::var_os("CUDA_PATH").map(PathBuf::from),
            toolkit_roots: TOOLKIT_ROOTS.iter().map(PathBuf::from).collect(),
            device_nodes: DEVICE_NODES.iter().map(PathBuf::from).collect(),
        }
    }

    /// Every part that is missing, in the order a user has to fix them; empty when all are
    /// there.
    pub fn missing(&self) -> Vec<MissingCudaPart> {
        let mut missing = Vec::new();
        if self.driver_library().is_none() {
            missing.push(MissingCudaPart::Driver {
                searched: self.library_dirs.clone(),
            });
        } else if !self.device_nodes.iter().any(|node| node.exists()) {
            missing.push(MissingCudaPart::Gpu {
                nodes: self.device_nodes.clone(),
            });
        }
        if self.libdevice().is_none() {
            missing.push(MissingCudaPart::Libdevice {
                cuda_path: self.cuda_path.clone(),
                searched: self.toolkit_roots_searched(),
            });
        }
        missing
    }

    /// The driver library the loader would find first, if any.
    pub fn driver_library(&self) -> Option<PathBuf> {
        self.library_dirs.iter().find_map(|dir| {
            ["libcuda.so.1", "libcuda.so"]
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.exists())
        })
    }

    /// `nvvm/libdevice/libdevice.10.bc` under the toolkit root cubecl-llvm would pick:
    /// `CUDA_PATH`, else the first usual folder that has an `nvvm/libdevice` folder.
    pub fn libdevice(&self) -> Option<PathBuf> {
        let root = match &self.cuda_path {
            Some(path) => path.clone(),
            None => self
                .toolkit_roots
                .iter()
                .find(|root| root.join("nvvm/libdevice").is_dir())?
                .clone(),
        };
        let path = root.join("nvvm/libdevice/libdevice.10.bc");
        path.is_file().then_some(path)
    }

    fn toolkit_roots_searched(&self) -> Vec<PathBuf> {
        match &self.cuda_path {
            Some(path) => vec![path.clone()],
            None => self.toolkit_roots.clone(),
        }
    }
}

/// One thing the CUDA device cannot run without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissingCudaPart {
    /// No `libcuda.so.1`: the NVIDIA driver is not installed, or not where the loader looks.
    Driver { searched: Vec<PathBuf> },
    /// The driver is installed but exposes no GPU.
    Gpu { nodes: Vec<PathBuf> },
    /// No `libdevice.10.bc` under `CUDA_PATH` (or the usual toolkit folders).
    Libdevice {
        cuda_path: Option<PathBuf>,
        searched: Vec<PathBuf>,
    },
}

impl fmt::Display for MissingCudaPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingCudaPart::Driver { searched } => write!(
                f,
                "the NVIDIA driver (libcuda.so.1) was not found in {}; install the driver, or add \
                 the folder that holds libcuda.so.1 to LD_LIBRARY_PATH",
                join(searched)
            ),
            MissingCudaPart::Gpu { nodes } => write!(
                f,
                "the NVIDIA driver is installed but shows no GPU (none of {} exists); check \
                 `nvidia-smi`, and in a container pass the GPU in (e.g. `docker run --gpus all`)",
                join(nodes)
            ),
            MissingCudaPart::Libdevice {
                cuda_path: Some(path),
                ..
            } => write!(
                f,
                "libdevice (CUDA's math library for kernels) was not found: CUDA_PATH is {} but \
                 {} does not exist; point CUDA_PATH at a CUDA toolkit, or run `bash \
                 scripts/setup-cuda-build.sh --runtime DIR` and set CUDA_PATH=DIR",
                path.display(),
                path.join("nvvm/libdevice/libdevice.10.bc").display()
            ),
            MissingCudaPart::Libdevice {
                cuda_path: None,
                searched,
            } => write!(
                f,
                "libdevice (CUDA's math library for kernels, nvvm/libdevice/libdevice.10.bc) was \
                 not found under {} and CUDA_PATH is not set; set CUDA_PATH to a CUDA toolkit, \
                 or run `bash scripts/setup-cuda-build.sh --runtime DIR` and set CUDA_PATH=DIR",
                join(searched)
            ),
        }
    }
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The library folders listed in an `ld.so.conf`, following its `include` globs one level
/// (the form Debian and Fedora use: `include /etc/ld.so.conf.d/*.conf`).
fn ld_so_conf_dirs(conf: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for line in read_conf_lines(conf) {
        match line.strip_prefix("include") {
            Some(pattern) => {
                for file in expand_conf_glob(pattern.trim()) {
                    dirs.extend(read_conf_lines(&file).into_iter().map(PathBuf::from));
                }
            }
            None => dirs.push(PathBuf::from(line)),
        }
    }
    dirs.retain(|dir| dir.is_absolute());
    dirs
}

fn read_conf_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// `DIR/*.conf`-style patterns (a `*` in the file name only), sorted as the loader reads them.
fn expand_conf_glob(pattern: &str) -> Vec<PathBuf> {
    let pattern = Path::new(pattern);
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    let (prefix, suffix) = name.split_once('*').unwrap_or((&name, ""));
    let exact = !name.contains('*');
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if exact {
                file == name
            } else {
                file.len() >= prefix.len() + suffix.len()
                    && file.starts_with(prefix)
                    && file.ends_with(suffix)
            }
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake machine under a temporary folder: `parts` lists which pieces exist.
    fn machine(name: &str, parts: &[&str]) -> (PathBuf, CudaSearch) {
        let root = std::env::temp_dir().join(format!("arnet-cuda-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let lib = root.join("usr/lib/x86_64-linux-gnu");
        let toolkit = root.join("usr/local/cuda");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(root.join("dev")).unwrap();
        for part in parts {
            let file = match *part {
                "driver" => lib.join("libcuda.so.1"),
                "gpu" => root.join("dev/nvidia0"),
                "libdevice" => toolkit.join("nvvm/libdevice/libdevice.10.bc"),
                other => panic!("unknown part {other}"),
            };
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, b"x").unwrap();
        }
        let search = CudaSearch {
            library_dirs: vec![root.join("opt/empty"), lib],
            cuda_path: None,
            toolkit_roots: vec![root.join("opt/cuda"), toolkit],
            device_nodes: vec![root.join("dev/nvidia0")],
        };
        (root, search)
    }

    #[test]
    fn a_machine_with_driver_gpu_and_libdevice_misses_nothing() {
        let (root, search) = machine("complete", &["driver", "gpu", "libdevice"]);
        assert_eq!(search.missing(), vec![]);
        assert_eq!(
            search.libdevice(),
            Some(root.join("usr/local/cuda/nvvm/libdevice/libdevice.10.bc"))
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_machine_without_a_driver_is_told_to_install_it_or_set_ld_library_path() {
        let (root, search) = machine("nodriver", &["libdevice"]);
        let missing = search.missing();
        assert_eq!(missing.len(), 1, "{missing:?}");
        let message = missing[0].to_string();
        assert!(message.contains("libcuda.so.1"), "{message}");
        assert!(message.contains("LD_LIBRARY_PATH"), "{message}");
        assert!(
            message.contains("opt/empty"),
            "names where it looked: {message}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_driver_without_a_gpu_and_without_libdevice_names_both() {
        let (root, search) = machine("nogpu", &["driver"]);
        let missing = search.missing();
        assert!(
            matches!(missing[0], MissingCudaPart::Gpu { .. }),
            "{missing:?}"
        );
        assert!(missing[0].to_string().contains("nvidia-smi"));
        assert!(matches!(missing[1], MissingCudaPart::Libdevice { .. }));
        let message = missing[1].to_string();
        assert!(message.contains("CUDA_PATH is not set"), "{message}");
        assert!(
            message.contains("setup-cuda-build.sh --runtime"),
            "{message}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn cuda_path_replaces_the_usual_toolkit_folders_as_in_cubecl() {
        let (root, mut search) = machine("cudapath", &["driver", "gpu", "libdevice"]);
        search.cuda_path = Some(root.join("elsewhere"));
        let missing = search.missing();
        assert_eq!(missing.len(), 1, "{missing:?}");
        let message = missing[0].to_string();
        assert!(message.contains("CUDA_PATH is"), "{message}");
        assert!(
            message.contains("elsewhere/nvvm/libdevice/libdevice.10.bc"),
            "{message}"
        );
        search.cuda_path = Some(root.join("usr/local/cuda"));
        assert_eq!(search.missing(), vec![]);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn ld_so_conf_includes_are_followed() {
        let root = std::env::temp_dir().join(format!("arnet-ldconf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("conf.d")).unwrap();
        let conf = root.join("ld.so.conf");
        std::fs::write(
            &conf,
            format!(
                "# comment\n/opt/a/lib\ninclude {}/conf.d/*.conf\n",
                root.display()
            ),
        )
        .unwrap();
        std::fs::write(root.join("conf.d/b.conf"), "/opt/b/lib # nvidia\n").unwrap();
        std::fs::write(root.join("conf.d/a.conf"), "/opt/c/lib\n").unwrap();
        std::fs::write(root.join("conf.d/ignored.txt"), "/opt/d/lib\n").unwrap();
        assert_eq!(
            ld_so_conf_dirs(&conf),
            ["/opt/a/lib", "/opt/c/lib", "/opt/b/lib"].map(PathBuf::from)
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
