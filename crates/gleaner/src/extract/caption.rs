//! Image captions outside `<figure>`: the short line a site puts right under a picture, saying
//! what it shows and who took it ("Roman Prymula, photo: Archives du Gouvernement tchèque",
//! "Lee Elder beim Masters 1975. | © Augusta National/Getty Images", "Abbildung 4: klassische
//! Schwachschicht. …"). `<figure>` and `<figcaption>` are pruned by their tags; these come in a
//! `<div>`, a `<span>` or an `<em>` after an `<img>`, where no tag or class gives them away.
//! A block is such a caption when the nearest thing before its text is an image (no text
//! between) and the block is short and carries a credit mark: a copyright sign, or a "Foto:",
//! "Credit:", "Abbildung" label. Extraction-dev readers mark these as not main text: on its
//! tuning split 10 such "must not appear" snippets on 8 sites went and no "must appear" one
//! (snippet F1, all pages, 0.9371 -> 0.9388); WCXB dev, tuning part: 4 article pages up (their
//! gold drops the captions too), none down once code was excluded (see [`may_be_caption`]).

use std::sync::LazyLock;

use regex::Regex;

use super::dom::{Dom, NodeData, NodeId};
use super::prune::Analysis;
use super::tag::Tag;

/// Longest caption (visible characters): a caption with a long description ("Abbildung:
/// Vergleich auf dem Aletschgletscher. Unsere quantifizierten Variationen …", 190) is still
/// one; a paragraph of the story that happens to follow a picture and cite a photographer is
/// longer.
pub const MAX_CAPTION_CHARS: u32 = 250;

/// Most nodes looked at backwards from a block's first text for the image before it.
const MAX_IMAGE_LOOKBACK: u32 = 48;

/// Credit marks of a caption: the copyright sign, an image label with a colon ("Foto:",
/// "(Credit: …)", "Abbildung 4:"), a picture agency.
static CREDIT_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"©|getty ?images|",
        r"(?:^|[\s(|/,.])(?:fotos?|photos?|bild(?:er)?|credits?|quelle|abbildung|abb\.|grafik|image|fuente|fonte|foto ?credit)",
        r"(?: \d+)?\s*:"
    ))
    .expect("static regex")
});

/// Whether the nearest visible thing before `id`'s first text is an image: `id`'s own leading
/// `<img>` (`<p><img><br><em>Abbildung 4: …</em></p>`) or one just before it.
fn follows_image(dom: &Dom, a: &Analysis, id: NodeId, end: NodeId) -> bool {
    // Visible text is what the pruning pass measured (`text_len` of a kept text node), rather
    // than trimming every whitespace run again: this test is asked of every short block.
    let visible = |n: NodeId| {
        a.text_len[n as usize] > 0 && matches!(dom.nodes[n as usize].data, NodeData::Text(_))
    };
    let Some(first_text) = (id..end).find(|&n| visible(n)) else {
        return false;
    };
    let stop = first_text.saturating_sub(MAX_IMAGE_LOOKBACK);
    for n in (stop..first_text).rev() {
        match &dom.nodes[n as usize].data {
            NodeData::Text(_) => {
                if visible(n) {
                    return false;
                }
            }
            NodeData::Element(e) => {
                if matches!(e.tag, Tag::Img | Tag::Picture) {
                    return true;
                }
            }
            NodeData::Document => return false,
        }
    }
    false
}

/// Whether the block `id` follows an image (see [`follows_image`]) and is mostly not links:
/// asked first, before its text is gathered. Only asked of blocks of at most
/// [`MAX_CAPTION_CHARS`].
/// Code is never a caption: a Kubernetes manifest's `image: nginx:1.14.2` line under a copy
/// icon read as an image credit (WCXB dev, tuning part: a documentation page lost its example).
/// Asked of every short block, so the cheap tests go first and the subtree is bounded once: the
/// image test stops at the first text, the code scan (the whole subtree) runs only after it.
pub fn may_be_caption(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    if a.link_density(id) > 0.5 {
        return false;
    }
    let end = super::serialize::subtree_end(dom, id);
    follows_image(dom, a, id, end) && !(id..end).any(|n| matches!(dom.tag(n), Tag::Pre | Tag::Code))
}

/// Whether `text`, a block's whitespace-collapsed text, carries a credit mark (see the module).
pub fn has_credit_mark(text: &str) -> bool {
    CREDIT_MARK.is_match(&text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::super::{ExtractOptions, extract};

    #[test]
    fn credited_captions_under_images_go() {
        let story = "Der Minister wurde am Mittwochabend ohne Maske in einem Restaurant in Prag gesehen, \
                     obwohl die Regierung solche Treffen kurz zuvor verboten hatte. ";
        let html = format!(
            "<html><body><article><h1>Minister ohne Maske</h1><p>{story}{story}</p>\
             <div class=\"wa\"><a href=\"/img/1.jpg\"><img src=\"/img/1.jpg\"></a>\
             <div class=\"img-metadata\"><span>Roman Prymula, photo: Archives du Gouvernement</span></div></div>\
             <p>{story}</p><p><img src=\"/img/2.png\"><br><em><sub>Abbildung 4: klassische Schwachschicht. \
             Der Unterschied in der Kornform ist klar ersichtlich.</sub></em></p>\
             <p>{story}{story}</p><p>Foto: Das Wort steht hier in einem Satz der Geschichte, nicht unter einem Bild.</p></article></body></html>"
        );
        let text = extract(&html, &ExtractOptions::default()).text;
        assert!(!text.contains("Roman Prymula"), "{text}");
        assert!(!text.contains("Abbildung 4"), "{text}");
        assert!(text.contains("Der Minister wurde"), "{text}");
        assert!(text.contains("Foto: Das Wort steht"), "{text}");
    }
}
