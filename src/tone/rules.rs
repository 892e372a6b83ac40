//! The fixed word lists and constants of vaderSentiment 3.3.2, copied verbatim.
//!
//! They are code, not data: the reference hard-codes them, and `--lexicons DIR` only replaces the
//! two lexicon files. Words that a rule compares against get a small id ([`w`]) so the rules
//! compare integers instead of strings in the hot path.

/// Booster increment (`B_INCR`).
pub(crate) const B_INCR: f64 = 0.293;
/// Dampener increment (`B_DECR`).
pub(crate) const B_DECR: f64 = -0.293;
/// ALL-CAPS emphasis (`C_INCR`).
pub(crate) const C_INCR: f64 = 0.733;
/// Negation scalar (`N_SCALAR`).
pub(crate) const N_SCALAR: f64 = -0.74;

/// `NEGATE`, in the reference's order.
pub(crate) const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// `BOOSTER_DICT`, in the reference's order. The three two-word keys can only match the n-gram
/// check of `_special_idioms_check`, because a token never contains a space.
pub(crate) const BOOSTER_DICT: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("just enough", B_DECR),
    ("kind of", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sort of", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

/// `SPECIAL_CASES`, in the reference's (dict insertion) order. "badass" is a one-word key and can
/// never equal a joined sequence of two or three tokens, so the reference never applies it.
pub(crate) const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// Ids of the words the rules compare against. 0 means "no rule word".
pub(crate) mod w {
    pub(crate) const NONE: u8 = 0;
    pub(crate) const NO: u8 = 1;
    pub(crate) const OR: u8 = 2;
    pub(crate) const NOR: u8 = 3;
    pub(crate) const KIND: u8 = 4;
    pub(crate) const OF: u8 = 5;
    pub(crate) const NEVER: u8 = 6;
    pub(crate) const SO: u8 = 7;
    pub(crate) const THIS: u8 = 8;
    pub(crate) const WITHOUT: u8 = 9;
    pub(crate) const DOUBT: u8 = 10;
    pub(crate) const LEAST: u8 = 11;
    pub(crate) const AT: u8 = 12;
    pub(crate) const VERY: u8 = 13;
    pub(crate) const BUT: u8 = 14;
}

/// Words with a fixed id. Words that occur only inside multi-word keys get the ids after these.
pub(crate) const RULE_WORDS: &[(&str, u8)] = &[
    ("no", w::NO),
    ("or", w::OR),
    ("nor", w::NOR),
    ("kind", w::KIND),
    ("of", w::OF),
    ("never", w::NEVER),
    ("so", w::SO),
    ("this", w::THIS),
    ("without", w::WITHOUT),
    ("doubt", w::DOUBT),
    ("least", w::LEAST),
    ("at", w::AT),
    ("very", w::VERY),
    ("but", w::BUT),
];
