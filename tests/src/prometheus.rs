//! Reading a scrape in Prometheus' text format, and checking it with `promtool`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Every sample of a scrape, in order; comments (`# HELP`, `# TYPE`) left out.
pub fn parse_samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| parse_line(line).unwrap_or_else(|| panic!("not a sample line: {line:?}")))
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_owned();
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        while !rest.starts_with('}') {
            let (key, after_key) = rest.split_once("=\"")?;
            let (value, after_value) = quoted_value(after_key)?;
            labels.insert(key.to_owned(), value);
            rest = after_value.strip_prefix(',').unwrap_or(after_value);
        }
        rest = &rest[1..];
    }
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// A label value up to its closing quote, unescaped, and what follows the quote.
fn quoted_value(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut characters = text.char_indices();
    while let Some((index, character)) = characters.next() {
        match character {
            '"' => return Some((value, &text[index + 1..])),
            '\\' => match characters.next()?.1 {
                'n' => value.push('\n'),
                escaped => value.push(escaped),
            },
            other => value.push(other),
        }
    }
    None
}

/// A `promtool` to run: the one on the PATH, or one that `scripts/ensure-promtool.sh`
/// takes out of Debian's `prometheus` package.
pub fn promtool() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-promtool.sh");
    let output = Command::new(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|error| panic!("{} runs: {error}", script.display()));
    assert!(output.status.success(), "{} failed", script.display());
    String::from_utf8(output.stdout)
        .expect("a UTF-8 path")
        .trim()
        .to_owned()
}

/// `promtool check metrics` on `scrape`: its verdict and what it printed.
pub fn promtool_check(scrape: &str) -> (bool, String) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape.as_bytes())
        .expect("the scrape written to promtool");
    let output = child.wait_with_output().expect("promtool finishes");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), printed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_labels_and_values() {
        let samples = parse_samples(concat!(
            "# HELP requests Requests.\n",
            "# TYPE requests counter\n",
            "requests{route=\"/api/{user_id}/tasks\",method=\"GET\",note=\"a \\\"b\\\" c\"} 3\n",
            "up 1\n",
            "latency_bucket{le=\"+Inf\"} 7\n",
        ));
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].name, "requests");
        assert_eq!(samples[0].labels["route"], "/api/{user_id}/tasks");
        assert_eq!(samples[0].labels["note"], "a \"b\" c");
        assert_eq!(samples[0].value, 3.0);
        assert!(samples[1].labels.is_empty());
        assert_eq!(samples[2].labels["le"], "+Inf");
    }
}
