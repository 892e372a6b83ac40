//! newsstance: per-actor tone and directed stance from news articles.
//!
//! A document flows through one module per stage:
//! `corpus` (read records) → `segment` (paragraphs, sentences) → `tone` (VADER) →
//! `actors` (who is mentioned) → `stance` (who says what toward whom) → `aggregate` (mergeable
//! sums) → `report` (CSV files). Stages exchange the plain types of [`document`]; `pipeline` runs
//! one document through them and `run` drives a whole night's inputs.

pub mod actors;
pub mod aggregate;
pub mod corpus;
pub mod document;
pub mod eval;
pub mod explain;
pub mod labels;
pub mod lexicon;
pub mod merge;
pub mod phrases;
pub mod pipeline;
pub mod report;
pub mod run;
pub mod segment;
pub mod stance;
pub mod state;
pub mod summary;
pub mod syntax;
pub mod text;
pub mod tone;
