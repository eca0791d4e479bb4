//! Recorded real answers (`tests/fixtures/`): the format both the judges'
//! unit tests and the loopback emulators read. See `tests/fixtures/README.md`.

/// One recorded answer: where it came from, and what the host sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Every `# source:` line, in order.
    pub sources: Vec<String>,
    pub status: u16,
    /// Names as written (case kept); values trimmed, empty values kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Parses a fixture file. The error says what is wrong, in one line.
pub fn parse(text: &str) -> Result<Recorded, String> {
    let mut sources = Vec::new();
    let mut lines = text.split_inclusive('\n');
    let status_line = loop {
        let Some(line) = lines.next() else {
            return Err("no status line".to_owned());
        };
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(s) = comment.trim().strip_prefix("source:") {
                sources.push(s.trim().to_owned());
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        break trimmed;
    };
    let status = status_line
        .strip_prefix("HTTP/")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not a status line: {status_line:?}"))?;
    let mut headers = Vec::new();
    let mut consumed_blank = false;
    for line in lines.by_ref() {
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            consumed_blank = true;
            break;
        }
        let (name, value) = trimmed
            .split_once(':')
            .ok_or_else(|| format!("not a header line: {trimmed:?}"))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut body: String = if consumed_blank { lines.collect() } else { String::new() };
    // Editors end files with a newline the recording may not have had.
    if body.ends_with('\n') {
        body.pop();
    }
    if sources.is_empty() {
        return Err("no `# source:` line naming where this answer was recorded".to_owned());
    }
    Ok(Recorded {
        sources,
        status,
        headers,
        body: body.into_bytes(),
    })
}

impl Recorded {
    /// The answer as the HTTP module hands it to a judge.
    pub fn response(&self) -> crate::http::Response {
        crate::http::Response {
            status: self.status,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            body: self.body.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_header_values_are_kept_and_the_body_is_verbatim() {
        let r = parse(
            "# source: somewhere (recorded)\nHTTP/1.1 200 OK\nX-OAuth-Scopes:\nContent-Type: application/json\n\n{\"a\":1}\n",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.response().header("x-oauth-scopes"), Some(""));
        assert_eq!(r.body, b"{\"a\":1}");
        assert_eq!(r.sources, vec!["somewhere (recorded)"]);
    }

    #[test]
    fn a_body_that_ends_in_a_newline_keeps_one() {
        let r = parse("# source: x\nHTTP/1.1 403 Forbidden\n\nWrite access to repository not granted.\n\n").unwrap();
        assert_eq!(r.body, b"Write access to repository not granted.\n");
    }

    #[test]
    fn a_fixture_without_a_source_is_refused() {
        assert!(parse("HTTP/1.1 200 OK\n\n{}").unwrap_err().contains("source"));
        assert!(parse("# source: x\nHTTP/1.1 two hundred\n\n").is_err());
    }
}
