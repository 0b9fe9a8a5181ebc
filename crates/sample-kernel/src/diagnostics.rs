//! Host-side diagnostics: a formatted dump of a region's state to stderr. It pulls in the
//! formatting machinery, which a browser artifact must not carry, so the optimization policy
//! forbids this feature in every wasm variant.

use crate::region::Region;

pub fn dump(region: &Region) {
    eprintln!(
        "region phase={:?} running={} armed_timers={} queued={} permits={}",
        region.phase(),
        region.tasks.running(),
        region.timers.armed(),
        region.channel.len(),
        region.channel.outstanding_permits()
    );
}
