//! Documents: the committed inputs a team reviews (the optimization policy and its build
//! plan, the budgets, the benchmark corpus) and the warn-streak state, each parsed and
//! validated; where a subject's documents are, and who owns them (CODEOWNERS). A document imports leaves and documents
//! only.

pub mod budget;
pub mod codeowners;
pub mod corpus;
pub mod host;
pub mod plan;
pub mod policy;
pub mod streak;
pub mod subject;
