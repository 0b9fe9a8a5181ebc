//! Where the bytes of a wasm module sit: each section's size (with its header), grouped into
//! code, data, custom and other, and whether debug, name or producers sections are present.

use serde::{Deserialize, Serialize};
use wasmparser::{Parser, Payload};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionBreakdown {
    /// Every section in file order; sizes include the section id and length bytes.
    pub sections: Vec<Section>,
    pub code_bytes: u64,
    pub data_bytes: u64,
    pub custom_bytes: u64,
    /// Everything else: the module header and the type, import, function, table, memory,
    /// global, export, start, element and data-count sections.
    pub other_bytes: u64,
    /// DWARF (`.debug_*` custom sections).
    pub has_debug_sections: bool,
    pub has_name_section: bool,
    pub has_producers_section: bool,
}

impl SectionBreakdown {
    /// How many DWARF (`.debug_*`) and `producers` sections there are: what a release
    /// artifact should not ship.
    pub fn debug_and_producers(&self) -> u64 {
        let counted =
            |s: &&Section| s.name.strip_prefix("custom:").is_some_and(|n| n.starts_with(".debug_") || n == "producers");
        self.sections.iter().filter(counted).count() as u64
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// `type`, `code`, `data`, ... or `custom:<name>`.
    pub name: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid wasm module: {0}")]
pub struct SectionError(String);

const HEADER_BYTES: usize = 8;

pub fn section_breakdown(wasm: &[u8]) -> Result<SectionBreakdown, SectionError> {
    let mut out = SectionBreakdown {
        sections: Vec::new(),
        code_bytes: 0,
        data_bytes: 0,
        custom_bytes: 0,
        other_bytes: HEADER_BYTES as u64,
        has_debug_sections: false,
        has_name_section: false,
        has_producers_section: false,
    };
    let mut prev_end = HEADER_BYTES;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| SectionError(e.to_string()))?;
        if let Payload::Version { encoding: wasmparser::Encoding::Component, .. } = payload {
            return Err(SectionError("a component, not a core module".into()));
        }
        let Some((id, range)) = payload.as_section() else { continue };
        let bytes = (range.end - prev_end) as u64;
        prev_end = range.end;
        let name = match &payload {
            Payload::CustomSection(reader) => {
                let n = reader.name();
                out.has_debug_sections |= n.starts_with(".debug_");
                out.has_name_section |= n == "name";
                out.has_producers_section |= n == "producers";
                out.custom_bytes += bytes;
                format!("custom:{n}")
            }
            _ => {
                match id {
                    10 => out.code_bytes += bytes,
                    11 => out.data_bytes += bytes,
                    _ => out.other_bytes += bytes,
                }
                standard_section_name(id).to_owned()
            }
        };
        out.sections.push(Section { name, bytes });
    }
    if prev_end != wasm.len() {
        return Err(SectionError(format!("{} trailing bytes after the last section", wasm.len() - prev_end)));
    }
    Ok(out)
}

/// The names of the functions a module exports.
pub fn exported_functions(wasm: &[u8]) -> Result<std::collections::BTreeSet<String>, SectionError> {
    let mut names = std::collections::BTreeSet::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ExportSection(reader) = payload.map_err(|e| SectionError(e.to_string()))? {
            for export in reader {
                let export = export.map_err(|e| SectionError(e.to_string()))?;
                if export.kind == wasmparser::ExternalKind::Func {
                    names.insert(export.name.to_owned());
                }
            }
        }
    }
    Ok(names)
}

fn standard_section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "datacount",
        13 => "tag",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::section_breakdown;

    /// A module with one function (code), one data segment and two custom sections, written
    /// out byte by byte so the expected sizes can be read off the bytes.
    fn module() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]); // type: one func type () -> ()            6 bytes
        m.extend([3, 2, 1, 0]); // function: one function of type 0                 4 bytes
        m.extend([5, 3, 1, 0, 1]); // memory: min 1 page                            5 bytes
        m.extend([10, 4, 1, 2, 0, 0x0b]); // code: one empty body                  6 bytes
        m.extend([11, 8, 1, 0, 0x41, 0, 0x0b, 2, b'h', b'i']); // data: "hi" at 0 10 bytes
        m.extend([0, 5, 4, b'n', b'a', b'm', b'e']); // custom "name", empty       7 bytes
        m.extend([0, 8, 7, b'.', b'd', b'e', b'b', b'u', b'g', b'_']); // custom  10 bytes
        m
    }

    #[test]
    fn sizes_add_up_to_the_file_and_classes_are_right() {
        let m = module();
        let b = section_breakdown(&m).unwrap();
        let names: Vec<(&str, u64)> = b.sections.iter().map(|s| (s.name.as_str(), s.bytes)).collect();
        assert_eq!(
            names,
            [
                ("type", 6),
                ("function", 4),
                ("memory", 5),
                ("code", 6),
                ("data", 10),
                ("custom:name", 7),
                ("custom:.debug_", 10)
            ]
        );
        assert_eq!((b.code_bytes, b.data_bytes, b.custom_bytes, b.other_bytes), (6, 10, 17, 8 + 6 + 4 + 5));
        assert_eq!(b.code_bytes + b.data_bytes + b.custom_bytes + b.other_bytes, m.len() as u64);
        assert!(b.has_name_section && b.has_debug_sections && !b.has_producers_section);
    }

    #[test]
    fn exported_functions_are_listed_by_name() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]);
        m.extend([3, 2, 1, 0]);
        m.extend([5, 3, 1, 0, 1]);
        // export: "run" (function 0) and "memory" (memory 0, not a function)
        m.extend([7, 16, 2, 3, b'r', b'u', b'n', 0, 0, 6, b'm', b'e', b'm', b'o', b'r', b'y', 2, 0]);
        m.extend([10, 4, 1, 2, 0, 0x0b]);
        let names: Vec<String> = super::exported_functions(&m).unwrap().into_iter().collect();
        assert_eq!(names, ["run"]);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(section_breakdown(b"not wasm").is_err());
        let m = module();
        assert!(section_breakdown(&m[..m.len() - 3]).is_err());
    }
}
