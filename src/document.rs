//! Plain data types that flow between the pipeline stages.
//!
//! A [`Document`] comes out of `corpus`; `segment` turns its text into [`Paragraph`]s of sentence
//! spans; later stages annotate sentences by span. Every span is a byte range into
//! [`Document::text`], so evidence and offsets can always be traced back to the input.

use std::fmt;
use std::ops::Range;

/// A calendar date (proleptic Gregorian), printed as ISO 8601 `YYYY-MM-DD`.
///
/// We keep our own tiny type because the pipeline only needs parsing, ordering and printing of
/// article dates; a full date-time library would be dead weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Builds a date, checking month and day ranges (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`, or an RFC 3339 timestamp (`2023-03-22T10:00:00Z`), keeping the
    /// calendar date as written (no time-zone conversion: the publisher's date is what analysts
    /// group by).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        if b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let num = |r: Range<usize>| -> Option<u32> {
            let part = &s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = num(0..4)?;
        let month = num(5..7)?;
        let day = num(8..10)?;
        Date::new(year as u16, month as u8, day as u8)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One article as read from the input, before any analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Unique id within a run (file stem for `.txt`, the `id` field otherwise).
    pub id: String,
    pub date: Option<Date>,
    pub source: String,
    pub title: String,
    pub url: String,
    /// The body text; paragraphs are separated by blank lines (or by single newlines when the
    /// text has no blank line at all). The title is not part of the body.
    pub text: String,
    /// Where the record came from, for error rows and evidence: the input path as given.
    pub input: String,
    /// 1-based line of the record in its input (1 for `.txt` files).
    pub line: u64,
}

/// A paragraph of a document: its byte span and the spans of its sentences, all absolute byte
/// offsets into [`Document::text`], trimmed of surrounding whitespace, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Paragraph {
    pub span: Range<usize>,
    pub sentences: Vec<Range<usize>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_and_rfc3339_dates() {
        assert_eq!(Date::parse("2023-03-22"), Date::new(2023, 3, 22));
        assert_eq!(Date::parse("2023-03-22T23:10:00Z"), Date::new(2023, 3, 22));
        assert_eq!(Date::parse("2023-03-22T23:10:00+05:00").unwrap().to_string(), "2023-03-22");
        assert_eq!(Date::parse("2024-02-29"), Date::new(2024, 2, 29));
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in ["", "2023", "2023-13-01", "2023-02-29", "2023-3-22", "22/03/2023", "2023-03-22x", "２０２３-03-22"]
        {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }
}
