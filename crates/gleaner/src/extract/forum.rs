//! Forum threads: the posts, not just the longest one.
//!
//! Readability-style scoring picks the container with the most prose, which on a thread is
//! often the block of replies (the opening post sits beside it in its own card) or one post of
//! several. Every post is content on a forum, so the chosen container is widened to the ancestor
//! that holds the whole thread while that ancestor is not a link list. Some forums name every
//! reply a `comment`, which the pruning pass drops as a comment section; when the replies hold
//! most of the thread, they are kept.

use super::dom::{Dom, NONE, NodeId};
use super::prune::{Analysis, analyse};
use super::tag::Attr;
use super::text::{Lines, contains_ignore_ascii_case};
use super::{Choice, ExtractOptions, MainText, main_text, prune_options};

/// The pass that keeps `comment`-named blocks replaces the one that drops them when the latter's
/// text is below this share of the former's: the replies themselves are named `comment` (Reddit,
/// many Drupal and WordPress forums), not a few remarks under each post (StackExchange, whose
/// comments add at most 60% to the text on WCXB dev's tuning part). Tuning part, forum pages:
/// 0.8039 against 0.7976 without the second pass (keeping comments always: 0.7928); replaying
/// both passes' outputs, every share from 0.3 to 0.6 chose the same pages (0.7 loses one).
const MAX_SHARE_WITHOUT_COMMENTS: f32 = 0.45;

/// The main text of a forum thread: every post with its author, the opening post and the
/// replies together.
pub(super) fn thread_text(dom: &Dom, opts: &ExtractOptions, root: NodeId) -> MainText {
    let a = analyse(dom, prune_options(opts, true, true));
    let how = Choice {
        authors: true,
        thread: true,
        ..Choice::default()
    };
    let main = main_text(dom, opts, root, a, how);
    if opts.include_comments {
        return main;
    }
    let with_comments = super::prune::PruneOptions {
        include_comments: true,
        ..prune_options(opts, true, true)
    };
    let alt = main_text(dom, opts, root, analyse(dom, with_comments), how);
    if (main.text.len() as f32) < alt.text.len() as f32 * MAX_SHARE_WITHOUT_COMMENTS {
        alt
    } else {
        main
    }
}

/// Widening stops at the first ancestor whose link density is above this: the page layout with
/// its menus and thread lists. Twice the article rule's cap ([`super::score::select`], 0.15):
/// every post carries links (its author, its permalink, quote and reply buttons). WCXB dev,
/// tuning part, forum pages: 0.2 gave 0.7937, 0.3 0.7963, 0.4 0.7954 (growth 1.1).
const THREAD_MAX_LINK_DENSITY: f32 = 0.3;
/// An ancestor replaces the chosen container when its text outside links is at least this many
/// times the container's (the article rule's growth). Tuning part, forum pages, link density
/// 0.3: 1.05 gave 0.7954, 1.1 0.7963, 1.3 0.7969, 1.5 0.7976, 2.0 0.7899 (no page widened).
const THREAD_MIN_GROWTH: f32 = 1.5;

/// Text outside links in `id`'s subtree.
fn unlinked_text(a: &Analysis, id: NodeId) -> u32 {
    a.text_len[id as usize].saturating_sub(a.link_len[id as usize])
}

/// The chosen subtrees `roots` (siblings, as [`super::score::select`] returns them), widened to
/// the ancestor that holds the whole thread; `roots` unchanged when no ancestor qualifies.
pub fn widen_to_thread(dom: &Dom, a: &Analysis, root: NodeId, roots: Vec<NodeId>) -> Vec<NodeId> {
    widen(
        dom,
        a,
        root,
        roots,
        THREAD_MAX_LINK_DENSITY,
        THREAD_MIN_GROWTH,
    )
}

/// `roots` widened to their farthest ancestor below `root` whose text outside links is at least
/// `min_growth` times that of the widest one taken so far, climbing while ancestors have at most
/// `max_link_density`; `roots` unchanged when no ancestor qualifies. Forum threads
/// ([`widen_to_thread`]) and product pages ([`super::product::widen_to_page`]) use it.
pub(super) fn widen(
    dom: &Dom,
    a: &Analysis,
    root: NodeId,
    roots: Vec<NodeId>,
    max_link_density: f32,
    min_growth: f32,
) -> Vec<NodeId> {
    let Some(&first) = roots.first() else {
        return roots;
    };
    let start = if roots.len() == 1 {
        first
    } else {
        dom.nodes[first as usize].parent
    };
    if start == NONE {
        return roots;
    }
    let mut best = start;
    let mut p = start;
    while p != root {
        p = dom.nodes[p as usize].parent;
        if p == NONE || dom.element(p).is_none() || a.link_density(p) > max_link_density {
            break;
        }
        if unlinked_text(a, p) as f32 >= unlinked_text(a, best) as f32 * min_growth {
            best = p;
        }
    }
    if best == start && roots.len() > 1 {
        return roots;
    }
    if best == first && roots.len() == 1 {
        return roots;
    }
    vec![best]
}

/// Removes the lines that are only a post's like count ("1 Like", "12 Likes", "3 reactions"):
/// the button under each post, which readers do not mark as the thread (Discourse's
/// `post-likes`). WCXB dev, tuning part, forum pages: 0.8277 -> 0.8284, 9 Discourse
/// threads up, none down; dropping bare vote numbers as well gained 0.0003 more but lost on two
/// StackOverflow pages, so they stay.
///
/// Lines that are one of a poster's statistics go in the same pass ([`is_poster_stat`]).
pub(super) fn drop_furniture_lines(lines: &mut Lines<'_>) {
    lines.retain(|_, l| !is_like_count(l) && !is_poster_stat(l));
}

/// Labels of a poster's counts ("Posts: 4,198", "Reputation: 12"; "Reputation:" alone when
/// its value is an image), lower-cased.
const POSTER_COUNT_LABELS: &[&str] = &[
    "posts",
    "messages",
    "threads",
    "reputation",
    "reaction score",
    "points",
];
/// Labels of when a poster joined ("Joined: Feb 2019", "Join Date: Mar 2011"), lower-cased.
const POSTER_JOIN_LABELS: &[&str] = &["joined", "join date", "registered", "member since"];
/// Longest value (in bytes) of a "Joined:" line: a date, not a sentence.
const MAX_JOIN_VALUE_BYTES: usize = 30;
/// Longest value (in bytes) of a "Location:" line: a place ("Northern WI (zone 4)"), not a
/// sentence that starts with the word.
const MAX_LOCATION_VALUE_BYTES: usize = 40;

/// Whether `line` is one of a poster's statistics as engines print them beside each post under
/// class names the pruning pass cannot tell from the post's (MyBB's "Posts: 116", "Joined: Feb
/// 2019", "Reputation:"; permies' "Posts: 4958", "Location: Zone 6b"). WCXB dev, tuning part,
/// forum pages, with phpBB's profile fields ([`FURNITURE_CLASSES`]): 0.8305 -> 0.8331, 7 pages
/// up, none down; other types and extraction-dev snippet F1 unchanged (replaying the line rule
/// on every path, one article and one documentation page lost: the forum path only).
fn is_poster_stat(line: &str) -> bool {
    let Some((label, value)) = line.trim().split_once(':') else {
        return false;
    };
    let label = label.trim();
    if label.len() > "reaction score".len() {
        // Longer than every label: prose with a colon, not worth lower-casing.
        return false;
    }
    let label = label.to_ascii_lowercase();
    let value = value.trim();
    if POSTER_COUNT_LABELS.contains(&label.as_str()) {
        is_count(value) || (label == "reputation" && value.is_empty())
    } else if POSTER_JOIN_LABELS.contains(&label.as_str()) {
        !value.is_empty() && value.len() <= MAX_JOIN_VALUE_BYTES
    } else if label == "location" {
        !value.is_empty() && value.len() <= MAX_LOCATION_VALUE_BYTES
    } else {
        false
    }
}

/// Whether `value` is a count: digits with thousands separators, "14.6k" included.
fn is_count(value: &str) -> bool {
    let digits = value
        .strip_suffix(['k', 'K'])
        .filter(|d| !d.is_empty())
        .unwrap_or(value);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// Whether `line` is a number followed by "like(s)" or "reaction(s)" and nothing else.
fn is_like_count(line: &str) -> bool {
    let Some((count, word)) = line.trim().split_once(' ') else {
        return false;
    };
    !count.is_empty()
        && count.starts_with(|c: char| c.is_ascii_digit())
        && count
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && ["like", "likes", "reaction", "reactions"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
}

/// Class-name fragments (ASCII case ignored) of the box beside a post that gives the poster's
/// standing: StackExchange's `-flair` and `reputation-score` ("14.6k 20 gold badges ..."),
/// XenForo's `message-userExtras` ("Joined Messages Reaction score Points"). On WCXB dev's
/// tuning forum pages none of it is in the gold text (forum 0.8179 -> 0.8277, 23 pages up:
/// 8 StackExchange, 14 XenForo and one MyBB thread, none down; other types unchanged). Not
/// phpBB's `postprofile`: it holds the poster's name.
///
/// Then XenForo's `message-userTitle` and `message-userBanner` ("Full Member", "7+ Year
/// Member", "Science Advisor") and VerticalScope's `MessageCard__post-count` and
/// `MessageCard__join-date` ("16,287 posts", "Joined 2012"): on the 14 tuning forum pages
/// that carry a user title or banner, none is a line of the gold text.
const POSTER_STATS: &[&str] = &[
    "flair",
    "reputation",
    "userextra",
    "usertitle",
    "userbanner",
    "post-count",
    "join-date",
];

/// Class names (whole, case kept) of a thread's furniture: the header line under its title,
/// XenForo's `p-description` ("Thread starter felixen · Start date Jul 9, 2022"), which no gold
/// text of the 14 tuning forum pages that carry it holds (the posts give each poster and date).
///
/// And phpBB's profile fields beside each post (`profile-posts` "Posts: 138", `profile-joined`,
/// `profile-rank` "Volunteer", `profile-custom-field` "Primary OS: Mac OS X"), on the 3 tuning
/// forum pages that carry them never in the gold text; whole names, since `no-profile-rank`
/// names the box that holds the poster's name.
///
/// And XenForo's `reactionsBar` under a post ("Reactions: griss, pnomes and 19 others") and
/// `blockStatus` ("Status: Not open for further replies."), on the 14 tuning forum pages that
/// carry them never in the gold text.
const FURNITURE_CLASSES: &[&str] = &[
    "p-description",
    "profile-posts",
    "profile-joined",
    "profile-rank",
    "profile-custom-field",
    "reactionsBar",
    "blockStatus",
];

/// Whether element `e` is a thread's furniture rather than a post: a poster's standing
/// ([`POSTER_STATS`]), the thread's header line or a phpBB profile field
/// ([`FURNITURE_CLASSES`]). WCXB dev, tuning part, forum pages, user titles, post counts and the
/// header line added to the poster stats:
/// 0.8264 -> 0.8305, 18 pages up, 1 down (festoolownersgroup, -0.002: a hidden "Member" banner
/// whose word the gold text uses elsewhere); other types and extraction-dev snippet F1 unchanged.
pub(super) fn names_thread_furniture(e: &super::dom::Element<'_>) -> bool {
    e.get(Attr::Class).is_some_and(|c| {
        POSTER_STATS
            .iter()
            .any(|w| contains_ignore_ascii_case(c, w))
            || c.split_ascii_whitespace()
                .any(|t| FURNITURE_CLASSES.contains(&t))
    })
}

/// Fewest visible characters for an element to count as a post when its class is compared
/// (a post body or a post's card; a username link or a date is shorter).
const MIN_POST_CHARS: u32 = 100;

/// Per node, whether its subtree holds a post: an element whose class attribute is the same as
/// that of at least two elements of [`MIN_POST_CHARS`] or more outside any class-hinted region
/// (`hinted`: what the pruning pass's class hints would remove, ancestors included). Forum
/// themes wrap nested replies in containers whose names the hints drop (VerticalScope's
/// `hide-last-message-connector` wrapper around each reply to a reply), while the replies inside
/// are the same cards as the top-level posts; a comment section, a sidebar or a menu holds no
/// such card. `text_len` is the pass's first measurement, before hints.
pub(super) fn holds_a_post(dom: &Dom, hinted: &[bool], text_len: &[u32]) -> Vec<bool> {
    let n = dom.nodes.len();
    let mut outside: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for id in 0..n {
        if hinted[id] || text_len[id] < MIN_POST_CHARS {
            continue;
        }
        if let Some(class) = dom.element(id as NodeId).and_then(|e| e.get(Attr::Class))
            && !class.trim().is_empty()
        {
            *outside.entry(class).or_insert(0) += 1;
        }
    }
    let mut holds = vec![false; n];
    if outside.values().all(|&c| c < 2) {
        return holds;
    }
    for id in (1..n).rev() {
        if !holds[id]
            && hinted[id]
            && text_len[id] >= MIN_POST_CHARS
            && dom
                .element(id as NodeId)
                .and_then(|e| e.get(Attr::Class))
                .is_some_and(|c| outside.get(c).is_some_and(|&k| k >= 2))
        {
            holds[id] = true;
        }
        let p = dom.nodes[id].parent;
        if holds[id] && p != NONE {
            holds[p as usize] = true;
        }
    }
    holds
}

#[cfg(test)]
mod tests {
    use super::super::{prune, score};
    use super::*;

    /// A thread whose opening post sits in its own card beside the block of replies.
    const THREAD: &str = r#"<html><body><nav><a href="/">Forums</a> <a href="/new">New posts</a></nav>
<div class="thread">
 <div class="op-card"><a href="/u/ann">ann</a>
  <div class="message-body">My new bike squeaks at every pedal stroke since I rode it through the rain last week.
   I have cleaned and oiled the chain, and the squeak is still there, loudest when I climb. What should I check first?</div></div>
 <div class="replies">
  <div class="reply"><a href="/u/bob">bob</a><div class="message-body">Check the pedals first: take them off, grease the threads, and put them back tightly, then ride again.</div></div>
  <div class="reply"><a href="/u/cy">cy</a><div class="message-body">If it still squeaks, the bottom bracket is next, and a shop can press it out, clean it, and grease it.</div></div>
 </div></div>
<footer>Copyright</footer></body></html>"#;

    /// The pruning pass the forum path makes.
    fn forum_analysis(dom: &Dom) -> Analysis {
        prune::analyse(
            dom,
            prune::PruneOptions {
                shop_hints: false,
                class_hints: true,
                include_comments: false,
                include_tables: true,
                keep_authors: true,
                keep_disclosures: false,
                service_page: false,
            },
        )
    }

    #[test]
    fn opening_post_joins_the_replies() {
        let dom = Dom::parse(THREAD);
        let a = forum_analysis(&dom);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let class = |id: NodeId| dom.element(id).and_then(|e| e.attr("class"));
        let replies = (0..dom.nodes.len() as NodeId)
            .find(|&id| class(id) == Some("replies"))
            .expect("fragment has replies");
        // The choice scoring makes on such pages when the replies outweigh the opening post.
        let chosen = vec![replies];
        let widened = widen_to_thread(&dom, &a, body, chosen);
        assert_eq!(widened.len(), 1);
        assert_eq!(class(widened[0]), Some("thread"));
    }

    #[test]
    fn replies_named_comments_are_kept() {
        let replies: String = (0..6)
            .map(|i| {
                format!(
                    "<div class='comment'><a href='/u/{i}'>user{i}</a><div class='md'><p>Reply {i}: \
                     I had the same trouble with my own bike, and a new chain, a clean cassette \
                     and some patience fixed it, so try that before you buy new wheels.</p></div></div>"
                )
            })
            .collect();
        let html = format!(
            "<html><body><div class='thread'><div class='post'><a href='/u/op'>op</a>\
             <p>My chain skips under load, even after adjusting the derailleur twice.</p></div>\
             <div class='comments'>{replies}</div></div></body></html>"
        );
        let dom = Dom::parse(&html);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let text = thread_text(&dom, &ExtractOptions::default(), body).text;
        assert!(text.contains("My chain skips"), "{text}");
        assert!(text.contains("Reply 5: I had the same trouble"), "{text}");
    }

    #[test]
    fn short_comments_under_answers_stay_out() {
        let html = "<html><body><div class='question'><p>How do I back up my whole system, \
             with its settings, so that a new disk can boot from the copy after a failure?</p>\
             <div class='comments'><span class='comment-copy'>Which version are you on?</span>\
             </div></div><div class='answer'><p>Use a disk image tool: it copies every block, \
             boot sector included, and the copy boots as the original did, settings and all.</p>\
             <p>Test the restore once before you need it, on a spare disk.</p></div></body></html>";
        let dom = Dom::parse(html);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let text = thread_text(&dom, &ExtractOptions::default(), body).text;
        assert!(text.contains("disk image tool"), "{text}");
        assert!(!text.contains("Which version"), "{text}");
    }

    #[test]
    fn who_wrote_each_post_and_when_stays() {
        let post = |i: u32| {
            format!(
                "<article class='message'><section class='message-user'><h4 class='message-name'>\
                 <a href='/members/{i}' class='username'>rider{i}</a></h4></section>\
                 <div class='message-main'><ul class='message-attribution-main'><li>\
                 <a href='/posts/{i}'><time datetime='2024-06-0{i}'>Jun {i}, 2024</time></a></li></ul>\
                 <div class='message-body'><p>Post {i}: a hardtail with a good air fork is the \
                 best first bike, and a used one from a shop keeps the cost down.</p></div></div>\
                 </article>"
            )
        };
        let posts: String = (1..4).map(post).collect();
        let html = format!(
            "<html><body><ul class='menu'><li><a href='/'>Home</a></li><li><a href='/f'>Forums</a></li></ul>\
             <div class='thread'>{posts}</div></body></html>"
        );
        let dom = Dom::parse(&html);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let text = thread_text(&dom, &ExtractOptions::default(), body).text;
        assert!(text.contains("rider2\n"), "{text}");
        assert!(text.contains("Jun 2, 2024"), "{text}");
        assert!(text.contains("Post 2: a hardtail"), "{text}");
        assert!(!text.contains("Forums"), "{text}");
    }

    #[test]
    fn nested_replies_in_hint_named_wrappers_stay() {
        let card = |i: u32| {
            format!(
                "<div class='message-card'><a href='/u/{i}' class='username'>rider{i}</a>\
                 <div class='message-body'><p>Post {i}: a hardtail with a good air fork is the \
                 best first bike, and a used one from a shop keeps the cost down, so look there \
                 first.</p></div></div>"
            )
        };
        let html = format!(
            "<html><body><div class='thread'>{}{}<div class='children hide-last-connector'>{}</div>\
             </div><div class='sidebar'><div class='widget'><p>Sign up for our newsletter to get \
             the best deals on bikes and parts every week, straight to your inbox.</p></div></div>\
             </body></html>",
            card(1),
            card(2),
            card(3)
        );
        let dom = Dom::parse(&html);
        let a = forum_analysis(&dom);
        let kept = |needle: &str| {
            (0..dom.nodes.len()).any(|i| {
                matches!(&dom.nodes[i].data, super::super::dom::NodeData::Text(t) if t.contains(needle))
                    && !a.removed[i]
            })
        };
        assert!(kept("Post 3: a hardtail"));
        assert!(!kept("newsletter"));
    }

    #[test]
    fn poster_standing_goes() {
        let answer = |i: u32| {
            format!(
                "<div class='answer'><div class='post-text'><p>Answer {i}: take a disk image \
                 with a tool that copies every block, boot sector included, and test the \
                 restore on a spare disk before you need it.</p></div>\
                 <div class='user-info'><div class='user-details'><a href='/users/{i}'>poster{i}</a>\
                 <div class='-flair'><span class='reputation-score'>14.6k</span>\
                 <span class='v-visible-sr'>20 gold badges</span></div></div></div></div>"
            )
        };
        let html = format!(
            "<html><body><div id='answers'>{}{}{}</div></body></html>",
            answer(1),
            answer(2),
            answer(3)
        );
        let dom = Dom::parse(&html);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let text = thread_text(&dom, &ExtractOptions::default(), body).text;
        assert!(text.contains("Answer 2: take a disk image"), "{text}");
        assert!(!text.contains("gold badges"), "{text}");
        assert!(!text.contains("14.6k"), "{text}");
    }

    #[test]
    fn user_titles_profile_fields_reactions_and_thread_header_go() {
        let post = |i: u32| {
            format!(
                "<article class='message'><div class='message-user'><h4 class='message-name'>\
                 <a href='/members/{i}' class='username'>rider{i}</a></h4>\
                 <h5 class='userTitle message-userTitle'>Full Member</h5>\
                 <div class='userBanner message-userBanner'><strong>7+ Year Member</strong></div>\
                 <span class='MessageCard__post-count'>16,287 posts</span>\
                 <dl><dd class='profile-rank'>Volunteer</dd><dd class='profile-custom-field \
                 profile-primary_os'><strong>Primary OS:</strong> Mac OS X</dd></dl></div>\
                 <div class='message-body'><p>Post {i}: a hardtail with a good air fork is the \
                 best first bike, and a used one from a shop keeps the cost down.</p></div>\
                 <div class='reactionsBar js-reactionsList is-active'>Reactions: \
                 <a href='/members/9'>griss</a></div></article>"
            )
        };
        let posts: String = (1..4).map(post).collect();
        let html = format!(
            "<html><body><div class='p-body-header'><h1 class='p-title-value'>First bike?</h1>\
             <div class='p-description'><ul><li>Thread starter <a href='/members/1'>rider1</a></li>\
             <li>Start date Jun 1, 2024</li></ul></div></div>\
             <dl class='blockStatus'><dt>Status</dt><dd>Not open for further replies.</dd></dl>\
             <div class='thread'>{posts}</div></body></html>"
        );
        let dom = Dom::parse(&html);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let text = thread_text(&dom, &ExtractOptions::default(), body).text;
        assert!(text.contains("rider2"), "{text}");
        assert!(text.contains("Post 2: a hardtail"), "{text}");
        for gone in [
            "Full Member",
            "Year Member",
            "posts",
            "Thread starter",
            "Start date",
            "Volunteer",
            "Primary OS",
            "Reactions",
            "griss",
            "further replies",
        ] {
            assert!(!text.contains(gone), "{gone}: {text}");
        }
    }

    #[test]
    fn like_counts_go() {
        let mut text =
            "Post one.\n1 Like\nPost two has 12 Likes in it.\n12 Likes\n3 reactions\n2024"
                .to_string();
        crate::extract::text::edit_lines(&mut text, drop_furniture_lines);
        assert_eq!(text, "Post one.\nPost two has 12 Likes in it.\n2024");
    }

    #[test]
    fn poster_stat_lines_go() {
        let mut text = "dragonexpert\nPosts: 10,525\nJoined: Jan 2010\nReputation:\n\
             Location: Northern WI (zone 4)\nPosts: 14.6k\n\
             Location: the thread says it all, so read the first post before you ask again\n\
             Posts: several, over the years\nThe reset fixed it for me."
            .to_string();
        crate::extract::text::edit_lines(&mut text, drop_furniture_lines);
        assert_eq!(
            text,
            "dragonexpert\n\
             Location: the thread says it all, so read the first post before you ask again\n\
             Posts: several, over the years\nThe reset fixed it for me."
        );
    }

    #[test]
    fn link_lists_stop_the_widening() {
        // The thread's parent holds a long list of other threads: not part of this one.
        let links: String = (0..40)
            .map(|i| format!("<li><a href='/t/{i}'>Another thread about bikes number {i}</a></li>"))
            .collect();
        let html = THREAD.replace("<footer>", &format!("<ul>{links}</ul><footer>"));
        let dom = Dom::parse(&html);
        let a = forum_analysis(&dom);
        let body = dom.find_first(super::super::tag::Tag::Body).unwrap_or(0);
        let widened = widen_to_thread(&dom, &a, body, score::select(&dom, &a, body, false));
        let class = |id: NodeId| dom.element(id).and_then(|e| e.attr("class"));
        assert_eq!(widened.len(), 1);
        assert_eq!(class(widened[0]), Some("thread"));
    }
}
