//! Numbers as people read them in tables and messages.

/// `53534` as `53,534`; fractional values keep three significant digits (at least two
/// decimals).
pub fn number(v: f64) -> String {
    if v.fract() != 0.0 {
        let magnitude = v.abs().log10().floor() as i32;
        let decimals = (2 - magnitude).max(2) as usize;
        return format!("{v:.decimals$}");
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// A change: `+5,544`, `-16`, `0`.
pub fn signed(v: f64) -> String {
    if v > 0.0 { format!("+{}", number(v)) } else { number(v) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_group_digits_and_keep_three_significant_ones() {
        let cases = [
            (0.0, "0"),
            (999.0, "999"),
            (1000.0, "1,000"),
            (53534.0, "53,534"),
            (1234567.0, "1,234,567"),
            (-1234.0, "-1,234"),
            (2.5, "2.50"),
            (0.0154, "0.0154"),
            (52.7133, "52.71"),
        ];
        for (v, s) in cases {
            assert_eq!(super::number(v), s);
        }
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(
            (super::signed(5544.0), super::signed(-16.0), super::signed(0.0)),
            ("+5,544".into(), "-16".into(), "0".into())
        );
    }
}
