//! Deterministic pseudo-localization: shows untranslated or truncated strings at a glance.
//!
//! Every ASCII letter is replaced by an accented look-alike (`a`→`á`, `e`→`é`, `A`→`Á`, …),
//! the text is expanded by about 30 % with `~` padding (longer languages break layouts
//! first), and the result is wrapped in `[` `]`. Mask tokens `__PH<n>__` pass through
//! untouched. The same input always gives the same output, whatever the target locale.

use futures_util::future::BoxFuture;

use super::{TranslateError, Translator};
use crate::localization::placeholders::map_tokens;

const LOWER: [char; 26] = [
    'á', 'ƀ', 'ç', 'ð', 'é', 'ƒ', 'ĝ', 'ĥ', 'í', 'ĵ', 'ķ', 'ĺ', 'ɱ', 'ñ', 'ó', 'þ', 'ǫ', 'ŕ', 'š',
    'ţ', 'ú', 'ṽ', 'ŵ', 'ẋ', 'ý', 'ž',
];
const UPPER: [char; 26] = [
    'Á', 'Ɓ', 'Ç', 'Ð', 'É', 'Ƒ', 'Ĝ', 'Ĥ', 'Í', 'Ĵ', 'Ķ', 'Ĺ', 'Ṁ', 'Ñ', 'Ó', 'Þ', 'Ǫ', 'Ŕ', 'Š',
    'Ţ', 'Ú', 'Ṽ', 'Ŵ', 'Ẋ', 'Ý', 'Ž',
];

/// The pseudo-localization provider ("pseudo").
#[derive(Debug, Clone, Copy, Default)]
pub struct PseudoTranslator;

/// Pseudo-localizes one (masked) text; see the module documentation.
pub fn pseudo_localize(text: &str) -> String {
    let mut visible = 0usize;
    let body = map_tokens(text, str::to_owned, |run| {
        run.chars()
            .map(|c| {
                visible += 1;
                match c {
                    'a'..='z' => LOWER[usize::from(c as u8 - b'a')],
                    'A'..='Z' => UPPER[usize::from(c as u8 - b'A')],
                    other => other,
                }
            })
            .collect()
    });
    // ~30 % longer, rounded up, counting only the text outside tokens.
    let pad = (visible * 3).div_ceil(10);
    format!("[{body}{}]", "~".repeat(pad))
}

impl Translator for PseudoTranslator {
    fn provider(&self) -> &'static str {
        "pseudo"
    }

    fn translate<'a>(
        &'a self,
        _source: &'a str,
        _target: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>> {
        Box::pin(async move { Ok(texts.iter().map(|t| pseudo_localize(t)).collect()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_expands_and_wraps() {
        assert_eq!(pseudo_localize("Hello World"), "[Ĥéĺĺó Ŵóŕĺð~~~~]");
        assert_eq!(pseudo_localize("abcxyz ABCXYZ"), "[áƀçẋýž ÁƁÇẊÝŽ~~~~]");
        assert_eq!(pseudo_localize(""), "[]");
    }

    #[test]
    fn tokens_pass_through_untouched() {
        let out = pseudo_localize("Hi __PH0__, see __PH12____PH1__ now");
        assert_eq!(out, "[Ĥí __PH0__, šéé __PH12____PH1__ ñóŵ~~~~]");
    }

    #[test]
    fn is_deterministic_and_at_least_30_percent_longer() {
        for s in [
            "x",
            "Save changes",
            "A much longer sentence with many words in it.",
        ] {
            let out = pseudo_localize(s);
            assert_eq!(out, pseudo_localize(s));
            assert!(
                out.chars().count() * 10 >= s.chars().count() * 13,
                "{s} -> {out}"
            );
        }
    }

    #[tokio::test]
    async fn translator_keeps_order_and_count() {
        let texts = vec!["one".to_owned(), "two __PH0__".to_owned()];
        let out = PseudoTranslator.translate("en", "qps", &texts).await;
        assert_eq!(
            out,
            Ok(vec!["[óñé~]".to_owned(), "[ţŵó __PH0__~~]".to_owned()])
        );
        assert_eq!(PseudoTranslator.provider(), "pseudo");
    }
}
