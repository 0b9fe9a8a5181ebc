//! Command lines as a POSIX shell needs them typed: what the summary records and the
//! driver prints, so a reader can paste a command and get the same run.

/// The arguments joined with spaces, each quoted when a shell would split or expand it.
pub fn shell_words(args: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    args.iter()
        .map(
            |a| {
                if !a.is_empty() && a.chars().all(plain) {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', "'\\''"))
                }
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        let args = ["build", "--config", "profile.x.opt-level=\"z\"", "it's", ""].map(String::from);
        assert_eq!(super::shell_words(&args), r#"build --config 'profile.x.opt-level="z"' 'it'\''s' ''"#);
    }
}
