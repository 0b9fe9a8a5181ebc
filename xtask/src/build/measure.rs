//! Measuring an artifact: raw bytes, gzip bytes (stock zlib, level 9, no name, mtime 0: the
//! bytes Python's `gzip.compress(data, 9, mtime=0)` gives), brotli bytes (quality 11,
//! window 24, generic mode: the brotli CLI's `-q 11 -w 24`), sha256 and the section
//! breakdown; for wasm-bindgen's JS glue, the same sizes of each file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use perf_core::digest::sha256_hex;
use perf_core::run::{ArtifactMeasurement, GlueFile};
use perf_core::sections::section_breakdown;

use crate::atomic_write::write_json_atomic;

pub const BROTLI_QUALITY: u32 = 11;
pub const BROTLI_WINDOW: u32 = 24;

/// Everything the compressed sizes depend on besides the bytes: the settings and the crate
/// versions (kept equal to Cargo.lock by a test), so an update measures afresh.
const SETTINGS: &str = "gzip=flate2-1.1.11-zlib-9-mtime0;brotli=brotli-8.0.4-q11-w24-generic;code=2";

/// Measures `wasm` (shown as `path`). Compressed sizes are memoized in `cache_dir` by the
/// sha256 of the bytes and the settings: they are a pure function of both, and brotli at
/// quality 11 is the slowest step of a warm run.
pub fn measure(path: &str, wasm: &[u8], cache_dir: &Path) -> anyhow::Result<ArtifactMeasurement> {
    let sections = section_breakdown(wasm).with_context(|| format!("cannot read the sections of {path}"))?;
    let sha256 = sha256_hex(wasm);
    let sizes = compressed(path, wasm, &sha256, cache_dir)?;
    Ok(ArtifactMeasurement {
        path: path.to_owned(),
        sha256,
        raw_bytes: wasm.len() as u64,
        gzip_bytes: sizes.gzip_bytes,
        brotli_bytes: sizes.brotli_bytes,
        sections,
    })
}

/// Measures one JavaScript file (the glue's, or a script a host page loaded; shown as `path`),
/// memoized as [`measure`] is.
pub fn measure_js_file(path: &str, js: &[u8], cache_dir: &Path) -> anyhow::Result<GlueFile> {
    let sha256 = sha256_hex(js);
    let sizes = compressed(path, js, &sha256, cache_dir)?;
    Ok(GlueFile {
        path: path.to_owned(),
        sha256,
        raw_bytes: js.len() as u64,
        gzip_bytes: sizes.gzip_bytes,
        brotli_bytes: sizes.brotli_bytes,
    })
}

/// The gzip and brotli sizes of `data` (whose sha256 is `sha256`), from the memo or measured.
fn compressed(path: &str, data: &[u8], sha256: &str, cache_dir: &Path) -> anyhow::Result<Compressed> {
    let memo = cache_dir.join(format!("{}.json", sha256_hex(format!("{sha256}{SETTINGS}").as_bytes())));
    let memoized = std::fs::read(&memo).ok().and_then(|b| serde_json::from_slice::<Compressed>(&b).ok());
    // A compressed stream is never empty: a memo saying so is damaged, not a measurement.
    let sizes = match memoized.filter(|m| m.gzip_bytes > 0 && m.brotli_bytes > 0) {
        Some(sizes) => sizes,
        None => {
            let (gz, br) = std::thread::scope(|s| {
                let gz = s.spawn(|| gzip(data));
                (gz.join(), brotli(data))
            });
            let gz = gz
                .map_err(|_| anyhow::anyhow!("gzip of {path} panicked"))?
                .with_context(|| format!("gzip of {path}"))?;
            let br = br.with_context(|| format!("brotli of {path}"))?;
            let sizes = Compressed { gzip_bytes: gz.len() as u64, brotli_bytes: br.len() as u64 };
            write_json_atomic(&memo, &sizes)?;
            sizes
        }
    };
    Ok(sizes)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Compressed {
    gzip_bytes: u64,
    brotli_bytes: u64,
}

pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::with_capacity(data.len() / 2), flate2::Compression::best());
    enc.write_all(data)?;
    enc.finish()
}

pub fn brotli(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: BROTLI_WINDOW as i32,
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_GENERIC,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 2);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, compressible input of a realistic size.
    fn sample() -> Vec<u8> {
        let mut state = 42u64;
        (0..200_000)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if i % 3 == 0 { (state >> 60) as u8 } else { b"wasm budget gate "[i % 17] }
            })
            .collect()
    }

    /// `sample()` written to a file in a fresh directory, for the reference tools to read.
    fn sample_file(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.bin");
        std::fs::write(&input, sample()).unwrap();
        (dir, input)
    }

    fn tool_available(name: &str) -> bool {
        let sh = xshell::Shell::new().unwrap();
        let found = xshell::cmd!(sh, "{name} --version").quiet().ignore_stdout().ignore_stderr().run().is_ok();
        // On CI the reference tools are installed by .ci/run; their absence is a failure there.
        assert!(found || std::env::var_os("CI").is_none(), "{name} is required on CI");
        if !found {
            eprintln!("skipping: {name} is not installed");
        }
        found
    }

    #[test]
    fn gzip_equals_python_gzip_compress_byte_for_byte() {
        if !tool_available("python3") {
            return;
        }
        let (dir, input) = sample_file("gzip");
        let sh = xshell::Shell::new().unwrap();
        let script =
            "import gzip,sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1],'rb').read(), 9, mtime=0))";
        let out = std::process::Command::from(xshell::cmd!(sh, "python3 -c {script} {input}")).output().unwrap();
        assert!(out.status.success());
        assert_eq!(gzip(&sample()).unwrap(), out.stdout);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn brotli_is_within_half_a_percent_of_the_brotli_cli() {
        if !tool_available("brotli") {
            return;
        }
        let (dir, input) = sample_file("brotli");
        let sh = xshell::Shell::new().unwrap();
        let out = std::process::Command::from(xshell::cmd!(sh, "brotli -q 11 -w 24 -c {input}")).output().unwrap();
        assert!(out.status.success());
        let (ours, theirs) = (brotli(&sample()).unwrap().len() as f64, out.stdout.len() as f64);
        assert!((ours - theirs).abs() / theirs <= 0.005, "ours {ours} vs brotli CLI {theirs}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_memo_key_names_the_locked_crate_versions() {
        for name in ["flate2", "brotli"] {
            let version = crate::toolchain::locked_version(name);
            assert!(SETTINGS.contains(&format!("{name}-{version}")), "update SETTINGS for {name} {version}");
        }
    }

    #[test]
    fn compressed_outputs_decompress_to_the_input() {
        use std::io::Read;
        let data = sample();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data).unwrap()[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let mut back = Vec::new();
        brotli::Decompressor::new(&brotli(&data).unwrap()[..], 4096).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }
}
