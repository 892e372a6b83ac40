//! Stage `stance`: directed stance events between actors ([`events`]) from an editable cue
//! lexicon, and the sentiment of the text toward each mention.

pub mod coverage;
mod cues;
pub mod eventdata;
mod events;
pub mod mentions;
pub mod model;
pub mod pcnn;
pub mod reader;
pub mod train;
pub mod vectors;

pub use cues::{Cue, CueKind, CueMatch, Cues};
pub use events::{events, SourceRule, StanceEvent};
pub mod target;
