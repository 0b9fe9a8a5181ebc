//! The fixed set of units a metric may be measured in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "bytes")]
    Bytes,
    #[serde(rename = "ms")]
    Millis,
    #[serde(rename = "us")]
    Micros,
    #[serde(rename = "ns")]
    Nanos,
    #[serde(rename = "MiB")]
    Mebibytes,
    #[serde(rename = "percent")]
    Percent,
    #[serde(rename = "count")]
    Count,
    /// wasmtime fuel: executed wasm operators, deterministic run to run.
    #[serde(rename = "fuel")]
    Fuel,
}

impl Unit {
    /// `v` at the precision the unit is measured to (1 ns for times, 1 byte for sizes), so
    /// records carry no float noise below what was measured.
    pub fn round(self, v: f64) -> f64 {
        let scale = match self {
            Unit::Bytes | Unit::Count => 1.0,
            Unit::Nanos | Unit::Fuel => 10.0,
            Unit::Micros | Unit::Percent => 1e3,
            Unit::Millis | Unit::Mebibytes => 1e6,
        };
        (v * scale).round() / scale
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Millis => "ms",
            Unit::Micros => "us",
            Unit::Nanos => "ns",
            Unit::Mebibytes => "MiB",
            Unit::Percent => "percent",
            Unit::Count => "count",
            Unit::Fuel => "fuel",
        }
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn values_are_rounded_to_what_the_unit_resolves() {
        let cases = [
            (Unit::Millis, 52.7133467, 52.713347),
            (Unit::Micros, 0.09204999999999995, 0.092),
            (Unit::Mebibytes, 0.0426177978515625, 0.042618),
            (Unit::Percent, 6.832002023720318, 6.832),
            (Unit::Fuel, 292.5, 292.5),
            (Unit::Bytes, 25423.4, 25423.0),
        ];
        for (unit, v, expected) in cases {
            assert_eq!(unit.round(v), expected, "{unit}");
        }
    }
}
