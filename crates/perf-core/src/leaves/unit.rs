//! The fixed set of units a metric may be measured in, and the one conversion between
//! them (a time in ns to the metric's ms, a heap in bytes to its MiB).

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

    /// What the unit measures, and how many of the quantity's smallest unit (1 ns, 1 byte)
    /// one of it is.
    const fn scale(self) -> (Quantity, f64) {
        match self {
            Unit::Nanos => (Quantity::Time, 1.0),
            Unit::Micros => (Quantity::Time, 1e3),
            Unit::Millis => (Quantity::Time, 1e6),
            Unit::Bytes => (Quantity::Bytes, 1.0),
            Unit::Mebibytes => (Quantity::Bytes, 1024.0 * 1024.0),
            Unit::Percent => (Quantity::Percent, 1.0),
            Unit::Count => (Quantity::Count, 1.0),
            Unit::Fuel => (Quantity::Fuel, 1.0),
        }
    }

    /// `value`, in this unit, expressed in `to`; `None` when `to` measures something else
    /// (a time is no size).
    pub fn convert(self, value: f64, to: Unit) -> Option<f64> {
        let ((from, from_scale), (into, to_scale)) = (self.scale(), to.scale());
        if from != into {
            return None;
        }
        // One multiplication or division by a whole ratio (1e3, 1e6, 2^20): a value
        // converts to the same bits whichever way round it goes, e.g. ns / 1e6.
        Some(if from_scale >= to_scale { value * (from_scale / to_scale) } else { value / (to_scale / from_scale) })
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

/// What a unit measures: a value converts only between units of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Time,
    Bytes,
    Percent,
    Count,
    Fuel,
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

    #[test]
    fn values_convert_within_a_quantity_only() {
        let cases = [
            (Unit::Nanos, 2851.5, Unit::Millis, Some(2851.5 / 1e6)),
            (Unit::Nanos, 2851.5, Unit::Micros, Some(2851.5 / 1e3)),
            (Unit::Nanos, 2851.5, Unit::Nanos, Some(2851.5)),
            (Unit::Millis, 23.7, Unit::Micros, Some(23.7 * 1e3)),
            (Unit::Millis, 23.7, Unit::Nanos, Some(23.7 * 1e6)),
            (Unit::Bytes, 95.05, Unit::Mebibytes, Some(95.05 / (1024.0 * 1024.0))),
            (Unit::Mebibytes, 2.0, Unit::Bytes, Some(2.0 * 1024.0 * 1024.0)),
            (Unit::Percent, 25.0, Unit::Percent, Some(25.0)),
            (Unit::Fuel, 6.0, Unit::Fuel, Some(6.0)),
            (Unit::Nanos, 1.0, Unit::Bytes, None),
            (Unit::Bytes, 1.0, Unit::Count, None),
            (Unit::Percent, 1.0, Unit::Millis, None),
            (Unit::Fuel, 1.0, Unit::Count, None),
        ];
        for (from, v, to, expected) in cases {
            assert_eq!(from.convert(v, to), expected, "{v} {from} in {to}");
        }
    }
}
