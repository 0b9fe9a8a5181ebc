//! A deliberate monomorphization bloat: one large generic function instantiated for four
//! integer types, behind an export so that neither LTO nor wasm-opt can drop it. Only the
//! gate's own tests enable the `mono-bloat` feature, to prove that the size report names the
//! function as the largest growth and as monomorphization bloat.

/// Rounds of a mixing step with distinct constants, written out: each instantiation of
/// `mix_all` carries its own copy of all of them.
macro_rules! rounds {
    ($h:ident, $v:ident; $($k:literal),*) => {
        $({
            let k: u64 = $k;
            $h = ($h ^ $v.wrapping_mul(k)).rotate_left((k % 61) as u32 + 1).wrapping_add(k >> 11);
        })*
    };
}

#[inline(never)]
fn mix_all<T: Copy + Into<u64>>(items: &[T], seed: u64) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for &x in items {
        let v: u64 = x.into();
        rounds!(h, v;
            0x9e37_79b9_7f4a_7c15, 0xbf58_476d_1ce4_e5b9, 0x94d0_49bb_1331_11eb, 0x2545_f491_4f6c_dd1d,
            0x1405_7b7e_f767_814f, 0x6c62_272e_07bb_0142, 0xd6e8_feb8_6659_fd93, 0xa076_1d64_78bd_642f,
            0xe703_7ed1_a0b4_28db, 0x8ebc_6af0_9c88_c6e3, 0x5899_65cc_7537_4cc3, 0x1d8e_4e27_c47d_124f,
            0x72be_5d74_f27b_896f, 0x3c79_ac49_2ba7_b653, 0x1c69_b3f7_4ac4_ae35, 0xff51_afd7_ed55_8ccd,
            0xc4ce_b9fe_1a85_ec53, 0x8765_4321_0fed_cba9, 0x0123_4567_89ab_cdef, 0xdead_beef_cafe_f00d,
            0x7fb5_d329_728e_a185, 0x81da_dcf1_7cb9_f0a7, 0x9fb2_1c65_1e98_df25, 0xc2b2_ae3d_27d4_eb4f,
            0x1656_67b1_9e37_79f9, 0x27d4_eb2f_1656_67c5, 0x85eb_ca77_c2b2_ae63, 0x61c8_8646_80b5_83eb,
            0x4cf5_ad43_2745_937f, 0xa54f_f53a_5f1d_36f1, 0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f,
            0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179, 0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b,
            0x3c6e_f372_fe94_f82b, 0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f,
            0xe9b5_dba5_8189_dbbc, 0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b,
            0xab1c_5ed5_da6d_8118, 0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c
        );
    }
    h
}

/// Mixes the seed through every instantiation.
#[unsafe(no_mangle)]
pub extern "C" fn mono_bloat_mix(seed: u32) -> u64 {
    let s = u64::from(seed);
    mix_all(&[seed as u8; 3], s) ^ mix_all(&[seed as u16; 3], s) ^ mix_all(&[seed; 3], s) ^ mix_all(&[s; 3], s)
}
