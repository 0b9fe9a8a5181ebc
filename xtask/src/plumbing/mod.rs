//! Plumbing: what every measuring command shares: the settings, the subjects, the documents
//! read and checked, the pipeline that builds and measures each variant, the gate's state
//! files, and the outputs written before the exit code is decided. Imports the tools and the
//! machine, never a command.

pub(crate) mod gate;
pub(crate) mod inputs;
pub(crate) mod outputs;
pub(crate) mod pipeline;
pub(crate) mod settings;
pub(crate) mod subject_dirs;
pub(crate) mod summary_schema;
