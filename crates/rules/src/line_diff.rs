//! A compact line diff of two definitions (a view's query), for people:
//! only the lines that differ, `-` expected and `+` actual, each line's
//! layout (indentation, runs of spaces) ignored.

/// At most this many lines of a definition are compared; a longer one is
/// summed up in one line (the JSON report carries both definitions).
const MAX_LINES: usize = 400;

/// The changed lines of `expected` against `actual`: `- line` for a line
/// only the expected definition has, `+ line` for one only the actual
/// definition has, in order. At most `max` lines; when there are more, the
/// last says how many were left out. Empty when the two differ in layout
/// only. Deterministic.
///
/// ```
/// let expected = "SELECT users.id,\n    users.email\n   FROM users\n  WHERE users.active;";
/// let actual = "SELECT users.id,\n    users.email\n   FROM users;";
/// assert_eq!(
///     driftless_rules::line_diff(expected, actual, 8),
///     ["- FROM users", "- WHERE users.active;", "+ FROM users;"]
/// );
/// ```
pub fn line_diff(expected: &str, actual: &str, max: usize) -> Vec<String> {
    let e = normalised_lines(expected);
    let a = normalised_lines(actual);
    let mut out = if e.len() > MAX_LINES || a.len() > MAX_LINES {
        vec![format!(
            "(definitions of {} and {} lines; compare them in the JSON report)",
            e.len(),
            a.len()
        )]
    } else {
        changed_lines(&e, &a)
    };
    if out.len() > max {
        let left = out.len() - max.saturating_sub(1);
        out.truncate(max.saturating_sub(1));
        out.push(format!("… {left} more changed line(s)"));
    }
    out
}

/// The non-empty lines, trimmed, with runs of white space made one space.
fn normalised_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// `-`/`+` lines from a longest common subsequence of the two.
fn changed_lines(e: &[String], a: &[String]) -> Vec<String> {
    // lcs[i][j]: the length of the longest common subsequence of e[i..], a[j..].
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            i += 1;
            j += 1;
        } else if j == a.len() || (i < e.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", e[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", a[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn only_changed_lines_in_order() {
        let e = "SELECT id,\n  email\nFROM users\nWHERE active";
        let a = "SELECT id,\n  name\nFROM users\nWHERE active\nORDER BY id";
        assert_eq!(line_diff(e, a, 10), ["- email", "+ name", "+ ORDER BY id"]);
    }

    #[test]
    fn layout_alone_is_no_difference() {
        assert!(line_diff("SELECT  id\n   FROM t", "SELECT id\nFROM t\n\n", 10).is_empty());
    }

    #[test]
    fn a_long_diff_is_cut_and_says_so() {
        let e = (0..20)
            .map(|i| format!("e{i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let d = line_diff(&e, "x", 5);
        assert_eq!(d.len(), 5);
        assert_eq!(d[..4], ["- e0", "- e1", "- e2", "- e3"]);
        assert_eq!(d[4], "… 17 more changed line(s)");
    }

    #[test]
    fn one_line_definitions_show_both() {
        assert_eq!(
            line_diff("SELECT 1", "SELECT 2", 10),
            ["- SELECT 1", "+ SELECT 2"]
        );
    }
}
