//! newsstance: per-actor tone and directed stance from news articles.
//!
//! A document flows through one module per stage:
//! `corpus` (read records) → `segment` (paragraphs, sentences) → `tone` (VADER) →
//! `actors` (who is mentioned) → `stance` (who says what toward whom) → `aggregate` (mergeable
//! sums) → `report` (CSV files). Stages exchange the plain types of [`document`].

pub mod actors;
pub mod document;
pub mod lexicon;
pub mod text;
pub mod stance;
pub mod aggregate;
pub mod report;
