//! The publisher's subscriptions (XPUB, PUB): for each topic, the set of pipes subscribed to it.
//! A pipe subscribing to a topic it already has changes nothing (as in libzmq: the subscriber
//! counts its own repeats and only forwards the last unsubscribe). What XPUB reports to its user
//! depends on the answers here: whether a subscribe created the topic, and whether an
//! unsubscribe removed its last pipe.

use crate::pipe::PipeId;
use crate::socket::trie::PrefixTree;

/// What removing one pipe's subscription found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    /// The pipe was not subscribed to that topic.
    NotFound,
    /// The pipe was the topic's last subscriber: nobody wants it any more.
    Last,
    /// Other pipes still want the topic.
    OthersRemain,
}

#[derive(Default)]
pub struct MultiTrie {
    /// Subscribed pipes per topic. Few pipes share a topic, so a vector is the cheapest set.
    tree: PrefixTree<Vec<PipeId>>,
    topics: usize,
}

impl MultiTrie {
    /// Subscribes `pipe` to `topic`; true when nobody had the topic before.
    pub fn add(&mut self, topic: &[u8], pipe: PipeId) -> bool {
        let node = self.tree.find_or_insert(topic);
        let pipes = self.tree.value_mut(node);
        let first = pipes.is_empty();
        if !pipes.contains(&pipe) {
            pipes.push(pipe);
        }
        self.topics += usize::from(first);
        first
    }

    /// Unsubscribes `pipe` from `topic`.
    pub fn rm(&mut self, topic: &[u8], pipe: PipeId) -> Removed {
        let Some(node) = self.tree.find(topic) else { return Removed::NotFound };
        let pipes = self.tree.value_mut(node);
        let Some(index) = pipes.iter().position(|&p| p == pipe) else { return Removed::NotFound };
        pipes.swap_remove(index);
        if !pipes.is_empty() {
            return Removed::OthersRemain;
        }
        self.topics -= 1;
        self.tree.prune(node, Vec::is_empty);
        Removed::Last
    }

    /// Unsubscribes `pipe` from everything; calls `f` with each topic it had, in byte order, and
    /// whether it was that topic's last subscriber.
    pub fn rm_pipe(&mut self, pipe: PipeId, mut f: impl FnMut(&[u8], bool)) {
        let mut emptied = 0;
        self.tree.walk_mut(
            |topic, pipes| {
                let Some(index) = pipes.iter().position(|&p| p == pipe) else { return false };
                pipes.swap_remove(index);
                let last = pipes.is_empty();
                emptied += usize::from(last);
                f(topic, last);
                last
            },
            Vec::is_empty,
        );
        self.topics -= emptied;
    }

    /// Calls `f` for each pipe subscribed to a prefix of `data`; a pipe with several matching
    /// topics is named once for each.
    pub fn for_each_match(&self, data: &[u8], mut f: impl FnMut(PipeId)) {
        self.tree.for_each_prefix_of(data, |pipes| pipes.iter().copied().for_each(&mut f));
    }

    /// Distinct topics with at least one subscriber (ZMQ_TOPICS_COUNT).
    pub fn topic_count(&self) -> usize {
        self.topics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(trie: &MultiTrie, data: &[u8]) -> Vec<PipeId> {
        let mut pipes = Vec::new();
        trie.for_each_match(data, |pipe| {
            if !pipes.contains(&pipe) {
                pipes.push(pipe);
            }
        });
        pipes.sort();
        pipes
    }

    #[test]
    fn first_subscriber_of_a_topic_is_reported() {
        let mut trie = MultiTrie::default();
        assert!(trie.add(b"a", 1));
        assert!(!trie.add(b"a", 2));
        assert!(!trie.add(b"a", 1));
        assert_eq!(trie.topic_count(), 1);
    }

    #[test]
    fn repeated_subscribe_from_one_pipe_needs_one_unsubscribe() {
        let mut trie = MultiTrie::default();
        trie.add(b"a", 1);
        trie.add(b"a", 1);
        assert_eq!(trie.rm(b"a", 1), Removed::Last);
        assert_eq!(trie.rm(b"a", 1), Removed::NotFound);
    }

    #[test]
    fn unsubscribe_reports_whether_others_remain() {
        let mut trie = MultiTrie::default();
        trie.add(b"a", 1);
        trie.add(b"a", 2);
        assert_eq!(trie.rm(b"a", 1), Removed::OthersRemain);
        assert_eq!(trie.rm(b"a", 2), Removed::Last);
        assert_eq!(trie.rm(b"b", 2), Removed::NotFound);
        assert_eq!(trie.topic_count(), 0);
    }

    #[test]
    fn pipes_match_by_prefix() {
        let mut trie = MultiTrie::default();
        trie.add(b"", 1);
        trie.add(b"ab", 2);
        trie.add(b"abc", 3);
        trie.add(b"x", 4);
        assert_eq!(matches(&trie, b"abcd"), [1, 2, 3]);
        assert_eq!(matches(&trie, b"a"), [1]);
        assert_eq!(matches(&trie, b""), [1]);
    }

    #[test]
    fn removing_a_pipe_lists_its_topics_and_which_became_unwanted() {
        let mut trie = MultiTrie::default();
        trie.add(b"b", 1);
        trie.add(b"a", 1);
        trie.add(b"a", 2);
        trie.add(b"c", 2);
        let mut seen = Vec::new();
        trie.rm_pipe(1, |topic, last| seen.push((topic.to_vec(), last)));
        assert_eq!(seen, [(b"a".to_vec(), false), (b"b".to_vec(), true)]);
        assert_eq!(trie.topic_count(), 2);
        assert_eq!(matches(&trie, b"b"), Vec::<PipeId>::new());
        assert_eq!(matches(&trie, b"a"), [2]);
    }
}
