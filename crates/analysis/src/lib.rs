//! Sleep/wake scoring and nonparametric circadian rhythm metrics (work in progress).
#![forbid(unsafe_code)]
