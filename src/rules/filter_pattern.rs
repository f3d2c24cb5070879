//! CloudWatch Logs metric filter patterns, read for one question: which CloudTrail events does a
//! pattern certainly match? Syntax: CloudWatch Logs user guide, "Filter pattern syntax for
//! metric filters" (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>):
//! JSON patterns `{ $.eventName = StopLogging || ... }` with `&&`, `||`, parentheses, `=` and
//! `!=`, quoted values and `*` wildcards; term patterns (`StopLogging`, `?A ?B` for either term,
//! `-A` for "not A"); and space-delimited patterns `[a, b=x, ...]`, which match fields of
//! space-delimited log lines and never a CloudTrail event, which CloudTrail delivers as JSON.
//!
//! A pattern "catches" an event when it matches every CloudTrail record of that event: the
//! judgement uses only `eventName` and `eventSource`; a condition on any other field might be
//! false for some record, so it never counts as caught.

/// The events CIS "CloudTrail configuration changes are monitored" asks a filter to catch.
pub const TRAIL_CONFIGURATION_CHANGES: [&str; 5] = [
    "CreateTrail",
    "UpdateTrail",
    "DeleteTrail",
    "StartLogging",
    "StopLogging",
];

const CLOUDTRAIL_SOURCE: &str = "cloudtrail.amazonaws.com";

/// The pattern CIS gives (CIS AWS Foundations 4.5 to 5.0, 5.5 from 6.0).
pub const CIS_PATTERN: &str = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }";

/// Whether `pattern` matches every CloudTrail record of the event named `event_name`.
/// `Err` says why the pattern could not be read at all.
pub fn catches(pattern: &str, event_name: &str) -> Result<bool, String> {
    let pattern = pattern.trim();
    if pattern.starts_with('{') {
        let expression = Parser::new(pattern)?.json()?;
        Ok(expression.holds(event_name) == Some(true))
    } else if pattern.starts_with('[') {
        Ok(false)
    } else {
        Ok(terms_catch(pattern, event_name))
    }
}

/// Term patterns: `A B` needs every term, `?A ?B` any of them, `-A` its absence. A term is
/// surely present when the event's name contains it; an exclusion may always be present.
fn terms_catch(pattern: &str, event_name: &str) -> bool {
    let terms: Vec<String> = split_terms(pattern);
    if terms.is_empty() {
        // "An empty filter pattern matches all log events."
        return true;
    }
    let present = |term: &str| event_name.contains(term.trim_matches('"'));
    let optional: Vec<&str> = terms.iter().filter_map(|t| t.strip_prefix('?')).collect();
    if !optional.is_empty() {
        return optional.iter().any(|t| present(t));
    }
    terms.iter().all(|t| !t.starts_with('-') && present(t))
}

fn split_terms(pattern: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in pattern.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Operator(String),
    Word(String),
    /// A quoted value: wildcards in it are still wildcards, but it is never a selector.
    Quoted(String),
}

#[derive(Debug)]
enum Expression {
    And(Vec<Expression>),
    Or(Vec<Expression>),
    Compare {
        selector: String,
        operator: String,
        value: String,
    },
    /// `IS TRUE`, `NOT EXISTS`, a regular expression, ...: depends on fields orgtrail cannot see.
    Unknown,
}

impl Expression {
    /// True or false for every record of the event, or `None` when it depends on the record.
    fn holds(&self, event_name: &str) -> Option<bool> {
        match self {
            Expression::And(parts) => {
                let results: Vec<Option<bool>> =
                    parts.iter().map(|p| p.holds(event_name)).collect();
                if results.contains(&Some(false)) {
                    Some(false)
                } else if results.iter().all(|r| *r == Some(true)) {
                    Some(true)
                } else {
                    None
                }
            }
            Expression::Or(parts) => {
                let results: Vec<Option<bool>> =
                    parts.iter().map(|p| p.holds(event_name)).collect();
                if results.contains(&Some(true)) {
                    Some(true)
                } else if results.iter().all(|r| *r == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            }
            Expression::Compare {
                selector,
                operator,
                value,
            } => {
                let field = match selector.as_str() {
                    "$.eventName" => event_name,
                    "$.eventSource" => CLOUDTRAIL_SOURCE,
                    _ => return None,
                };
                // Regular expressions (`%...%`) are not judged.
                if value.starts_with('%') {
                    return None;
                }
                match operator.as_str() {
                    "=" => Some(wildcard(value, field)),
                    "!=" => Some(!wildcard(value, field)),
                    _ => None,
                }
            }
            Expression::Unknown => None,
        }
    }
}

/// `*` in a filter value matches any run of characters; comparisons are case-sensitive.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn new(pattern: &str) -> Result<Self, String> {
        Ok(Parser {
            tokens: tokenize(pattern)?,
            at: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// `{ expression }`
    fn json(mut self) -> Result<Expression, String> {
        if self.next() != Some(Token::Word("{".into())) {
            return Err("a JSON pattern starts with {".into());
        }
        let expression = self.or()?;
        if self.next() != Some(Token::Word("}".into())) {
            return Err("a JSON pattern ends with }".into());
        }
        if self.peek().is_some() {
            return Err("text after the closing }".into());
        }
        Ok(expression)
    }

    fn or(&mut self) -> Result<Expression, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expression::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expression, String> {
        let mut parts = vec![self.primary()?];
        while self.peek() == Some(&Token::And) {
            self.next();
            parts.push(self.primary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expression::And(parts)
        })
    }

    fn primary(&mut self) -> Result<Expression, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a ( is not closed".into()),
                }
            }
            Some(Token::Word(selector)) if selector.starts_with('$') => {
                match self.next() {
                    Some(Token::Operator(operator)) => {
                        let value = match self.next() {
                            Some(Token::Word(v)) | Some(Token::Quoted(v)) => v,
                            other => {
                                return Err(format!(
                                    "no value after {selector} {operator}: {other:?}"
                                ))
                            }
                        };
                        Ok(Expression::Compare {
                            selector,
                            operator,
                            value,
                        })
                    }
                    // `$.field IS TRUE`, `$.field NOT EXISTS`: words up to the next && / || / ).
                    Some(Token::Word(_)) => {
                        while matches!(self.peek(), Some(Token::Word(w)) if w != "}") {
                            self.next();
                        }
                        Ok(Expression::Unknown)
                    }
                    other => Err(format!("no comparison after {selector}: {other:?}")),
                }
            }
            other => Err(format!("expected a comparison, found {other:?}")),
        }
    }
}

fn tokenize(pattern: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '{' | '}' => {
                tokens.push(Token::Word(c.to_string()));
                i += 1;
            }
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '&' if next == Some('&') => {
                tokens.push(Token::And);
                i += 2;
            }
            '|' if next == Some('|') => {
                tokens.push(Token::Or);
                i += 2;
            }
            '!' | '<' | '>' | '=' => {
                let operator = if next == Some('=') {
                    i += 2;
                    format!("{c}=")
                } else {
                    i += 1;
                    c.to_string()
                };
                tokens.push(Token::Operator(operator));
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| *c == '"')
                    .ok_or("a quoted value is not closed")?;
                tokens.push(Token::Quoted(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            _ => {
                let start = i;
                while i < chars.len() && !ends_word(&chars, i) {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

/// Whether a bare word of a JSON pattern ends at `chars[i]`: white space, a bracket, an
/// operator, a quote, `&&` or `||`.
fn ends_word(chars: &[char], i: usize) -> bool {
    let next = chars.get(i + 1).copied();
    chars[i].is_whitespace()
        || matches!(
            chars[i],
            '(' | ')' | '{' | '}' | '=' | '!' | '<' | '>' | '"'
        )
        || (chars[i] == '&' && next == Some('&'))
        || (chars[i] == '|' && next == Some('|'))
}

/// The trail configuration changes `pattern` does not catch, in CIS's order.
pub fn missed(pattern: &str) -> Result<Vec<&'static str>, String> {
    let mut missed = Vec::new();
    for event in TRAIL_CONFIGURATION_CHANGES {
        if !catches(pattern, event)? {
            missed.push(event);
        }
    }
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cis_own_pattern_catches_all_five_changes() {
        assert_eq!(missed(CIS_PATTERN), Ok(vec![]));
        // Nothing else: a pattern on trail changes does not catch every event.
        assert_eq!(catches(CIS_PATTERN, "ConsoleLogin"), Ok(false));
    }

    #[test]
    fn a_pattern_missing_stop_logging_misses_it_by_name() {
        let pattern = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || \
                       ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }";
        assert_eq!(missed(pattern), Ok(vec!["StopLogging"]));
    }

    #[test]
    fn json_form_and_space_delimited_form_are_told_apart() {
        // JSON, without parentheses or spaces, quoted values, a source condition.
        let json = r#"{$.eventSource="cloudtrail.amazonaws.com"&&($.eventName="CreateTrail"||$.eventName="UpdateTrail"||$.eventName="DeleteTrail"||$.eventName="StartLogging"||$.eventName="StopLogging")}"#;
        assert_eq!(missed(json), Ok(vec![]));
        // Space-delimited patterns match fields of space-delimited lines: never a CloudTrail
        // record, which is JSON.
        let delimited = r#"[version, account, eventName="StopLogging", ...]"#;
        assert_eq!(missed(delimited).unwrap().len(), 5);
        // Term patterns: either of the terms, or all of them.
        assert_eq!(
            missed("?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging ?StopLogging"),
            Ok(vec![])
        );
        assert_eq!(
            missed("StopLogging"),
            Ok(vec![
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging"
            ])
        );
        assert_eq!(missed("-StopLogging Trail").unwrap().len(), 5);
    }

    #[test]
    fn or_across_events_and_and_with_other_fields_are_judged_soundly() {
        // `||` across events, wildcards in values.
        assert_eq!(
            missed("{ ($.eventName = *Trail) || ($.eventName = St*Logging) }"),
            Ok(vec![])
        );
        // An `&&` with a field orgtrail cannot see may be false for some record: not caught.
        let narrowed = "{ ($.eventName = StopLogging) && ($.userIdentity.type = Root) }";
        assert_eq!(catches(narrowed, "StopLogging"), Ok(false));
        // But with a field only some events have, `||` still catches the named ones.
        let either = "{ ($.eventName = StopLogging) || ($.errorCode = AccessDenied) }";
        assert_eq!(catches(either, "StopLogging"), Ok(true));
        // A wrong source excludes every CloudTrail event.
        let wrong_source = "{ $.eventSource = s3.amazonaws.com && $.eventName = StopLogging }";
        assert_eq!(catches(wrong_source, "StopLogging"), Ok(false));
        // Negation.
        assert_eq!(
            catches("{ $.eventName != ConsoleLogin }", "StopLogging"),
            Ok(true)
        );
        // `IS TRUE`, `NOT EXISTS`: unknown.
        assert_eq!(
            catches(
                "{ $.eventName = StopLogging && $.readOnly IS FALSE }",
                "StopLogging"
            ),
            Ok(false)
        );
    }

    #[test]
    fn a_pattern_that_cannot_be_read_says_why() {
        assert!(catches("{ ($.eventName = StopLogging }", "StopLogging").is_err());
        assert!(catches("{ $.eventName = \"StopLogging }", "StopLogging").is_err());
        assert!(catches("{ $.eventName = StopLogging", "StopLogging").is_err());
    }
}
