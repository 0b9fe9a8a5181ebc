//! LEB128, the wasm binary format's variable-length integers, for the modules and sections
//! this tool writes itself (the nonce section, the cache canary's module).

pub(crate) fn unsigned(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) fn signed(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodings_match_the_spec_examples() {
        let enc = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut v = Vec::new();
            f(&mut v);
            v
        };
        assert_eq!(enc(&|v| super::unsigned(v, 624_485)), [0xe5, 0x8e, 0x26]);
        assert_eq!(enc(&|v| super::unsigned(v, 0)), [0]);
        assert_eq!(enc(&|v| super::signed(v, -123_456)), [0xc0, 0xbb, 0x78]);
        assert_eq!(enc(&|v| super::signed(v, 64)), [0xc0, 0x00]);
        assert_eq!(enc(&|v| super::signed(v, 63)), [0x3f]);
    }
}
