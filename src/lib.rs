//! newsstance: per-actor tone and directed stance from news articles.
//!
//! A document flows through one module per stage:
//! `corpus` (read records) → `segment` (paragraphs, sentences) → `tone` (VADER) →
//! `actors` (who is mentioned) → `stance` (who says what toward whom) → `aggregate` (mergeable
//! sums) → `report` (CSV files). Stages exchange the plain types of [`document`].

pub mod document;
pub mod eval;
pub mod stance;
pub mod tone;
