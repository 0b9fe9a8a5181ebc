//! The issue that tracks a warning metric: one per (subject, metric, profile), found by its
//! exact title. The gate's report carries the title (and, where the repository is known, a link
//! to the search for it); the workflow job that opens the issues reads the title from the
//! report, so the convention lives here only.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarnIssue {
    pub title: String,
    /// The repository's issue search for `title`: the report links the issue before the
    /// job that opens it has run. `None` when the repository is not known (a local run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_url: Option<String>,
}

impl WarnIssue {
    /// `issues_url` is the repository's issues page (`https://github.com/o/r/issues`);
    /// `subject` names a subject other than the default one, whose metrics share their ids.
    pub fn new(subject: Option<&str>, metric_id: &str, profile: &str, issues_url: Option<&str>) -> WarnIssue {
        let title = match subject {
            Some(subject) => format!("perf warn: {metric_id} ({profile}, {subject})"),
            None => format!("perf warn: {metric_id} ({profile})"),
        };
        let search_url = issues_url.map(|url| {
            let query = format!("is:issue in:title \"{title}\"");
            format!("{}?q={}", url.trim_end_matches('/'), form_encode(&query))
        });
        WarnIssue { title, search_url }
    }
}

/// `application/x-www-form-urlencoded`, as a query string carries it.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::WarnIssue;

    #[test]
    fn the_title_names_the_metric_and_profile_and_the_link_searches_for_it() {
        let local = WarnIssue::new(None, "M-PERF-04A", "full-dev", None);
        assert_eq!(local, WarnIssue { title: "perf warn: M-PERF-04A (full-dev)".into(), search_url: None });
        let word_index = WarnIssue::new(Some("word-index"), "M-PERF-04A", "full-dev", None);
        assert_eq!(word_index.title, "perf warn: M-PERF-04A (full-dev, word-index)");
        let on_github = WarnIssue::new(None, "M-PERF-04A", "full-dev", Some("https://github.com/o/r/issues/"));
        assert_eq!(
            on_github.search_url.as_deref(),
            Some("https://github.com/o/r/issues?q=is%3Aissue+in%3Atitle+%22perf+warn%3A+M-PERF-04A+%28full-dev%29%22")
        );
    }
}
