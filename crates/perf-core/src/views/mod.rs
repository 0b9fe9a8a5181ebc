//! Views: what people read (the stdout table, the Markdown and HTML reports and the scorecard
//! they share). A view formats decided records and never decides; in this crate only a view
//! imports a view.

pub mod host_grid;
pub mod html;
pub mod markdown;
pub mod scorecard;
pub mod table;
