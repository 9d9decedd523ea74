//! Prefix trees over byte strings, the storage of subscriptions. [`PrefixTree`] is the shared
//! structure (a value per prefix, prefix lookups, ordered walks); [`Trie`] is the subscriber's
//! own set of topics (SUB, XSUB), each with a count of how many times it was subscribed.
//!
//! Topics come from remote peers, so nothing here recurses: a peer controls the depth of the
//! tree (a topic a megabyte long is a path a megabyte deep), and a recursion that deep would
//! overflow the stack. Nodes live in an arena and refer to each other by index.

use std::collections::BTreeMap;

/// Index of the root node (the empty prefix) in the arena.
const ROOT: usize = 0;

struct Node<V> {
    value: V,
    parent: usize,
    /// The last byte of this node's prefix (unused for the root).
    byte: u8,
    /// Ordered, so walks visit topics in byte order, as libzmq's do.
    children: BTreeMap<u8, usize>,
}

impl<V: Default> Node<V> {
    fn new(parent: usize, byte: u8) -> Self {
        Self { value: V::default(), parent, byte, children: BTreeMap::new() }
    }
}

/// A value for each prefix that has been stored. Values equal to the "empty" state the caller
/// decides (see [`PrefixTree::prune`]) are removed together with their now useless nodes.
pub struct PrefixTree<V> {
    nodes: Vec<Node<V>>,
    /// Arena slots of removed nodes, reused before the arena grows.
    free: Vec<usize>,
}

impl<V: Default> Default for PrefixTree<V> {
    fn default() -> Self {
        Self { nodes: vec![Node::new(ROOT, 0)], free: Vec::new() }
    }
}

impl<V: Default> PrefixTree<V> {
    /// The node of `key`, if it exists.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        key.iter().try_fold(ROOT, |node, byte| self.nodes[node].children.get(byte).copied())
    }

    /// The node of `key`, created (with a default value) when missing.
    pub fn find_or_insert(&mut self, key: &[u8]) -> usize {
        let mut node = ROOT;
        for &byte in key {
            node = match self.nodes[node].children.get(&byte) {
                Some(&child) => child,
                None => {
                    let child = self.allocate(node, byte);
                    self.nodes[node].children.insert(byte, child);
                    child
                }
            };
        }
        node
    }

    fn allocate(&mut self, parent: usize, byte: u8) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot] = Node::new(parent, byte);
                slot
            }
            None => {
                self.nodes.push(Node::new(parent, byte));
                self.nodes.len() - 1
            }
        }
    }

    pub fn value(&self, node: usize) -> &V {
        &self.nodes[node].value
    }

    pub fn value_mut(&mut self, node: usize) -> &mut V {
        &mut self.nodes[node].value
    }

    /// Removes `node` and its ancestors while they hold an empty value and no children, so the
    /// tree never keeps paths that lead nowhere.
    pub fn prune(&mut self, mut node: usize, is_empty: impl Fn(&V) -> bool) {
        while node != ROOT && self.nodes[node].children.is_empty() && is_empty(&self.nodes[node].value) {
            let Node { parent, byte, .. } = self.nodes[node];
            if self.nodes[parent].children.get(&byte) != Some(&node) {
                // Already pruned (a walk may name a node a deeper prune removed).
                return;
            }
            self.nodes[parent].children.remove(&byte);
            self.nodes[node].value = V::default();
            self.free.push(node);
            node = parent;
        }
    }

    /// Calls `f` with the value of every stored prefix of `data` (the empty prefix first).
    pub fn for_each_prefix_of(&self, data: &[u8], mut f: impl FnMut(&V)) {
        let mut node = ROOT;
        f(&self.nodes[node].value);
        for byte in data {
            match self.nodes[node].children.get(byte) {
                Some(&child) => node = child,
                None => return,
            }
            f(&self.nodes[node].value);
        }
    }

    /// Calls `f` with every node's prefix and value, parents before children, siblings in byte
    /// order. `f` returns whether the node's value became empty; such leaves are pruned after
    /// the walk.
    pub fn walk_mut(&mut self, mut f: impl FnMut(&[u8], &mut V) -> bool, is_empty: impl Fn(&V) -> bool) {
        let mut prefix = Vec::new();
        let mut emptied = Vec::new();
        // (node, length of its prefix)
        let mut stack = vec![(ROOT, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if depth > 0 {
                prefix.truncate(depth - 1);
                prefix.push(self.nodes[node].byte);
            }
            if f(&prefix, &mut self.nodes[node].value) {
                emptied.push(node);
            }
            stack.extend(self.nodes[node].children.values().rev().map(|&child| (child, depth + 1)));
        }
        // Deepest first, so a parent emptied too is pruned once its children are gone.
        for node in emptied.into_iter().rev() {
            self.prune(node, &is_empty);
        }
    }

    /// Calls `f` with every node's prefix and value, in the order of [`PrefixTree::walk_mut`].
    pub fn walk(&self, mut f: impl FnMut(&[u8], &V)) {
        let mut prefix = Vec::new();
        let mut stack = vec![(ROOT, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            if depth > 0 {
                prefix.truncate(depth - 1);
                prefix.push(self.nodes[node].byte);
            }
            f(&prefix, &self.nodes[node].value);
            stack.extend(self.nodes[node].children.values().rev().map(|&child| (child, depth + 1)));
        }
    }

    /// Nodes in use, the root included (for tests: pruning leaves no garbage).
    #[cfg(test)]
    fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

/// A subscriber's topics. Each topic counts its subscriptions: subscribing twice takes two
/// unsubscribes, and only the first subscribe and the last unsubscribe change what matches.
#[derive(Default)]
pub struct Trie {
    tree: PrefixTree<u32>,
    topics: usize,
}

impl Trie {
    /// Adds one subscription to `topic`; true when the topic is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        let node = self.tree.find_or_insert(topic);
        let count = self.tree.value_mut(node);
        *count += 1;
        let first = *count == 1;
        self.topics += usize::from(first);
        first
    }

    /// Removes one subscription to `topic`; true when that was its last one. Removing a topic
    /// not subscribed is false and changes nothing.
    pub fn rm(&mut self, topic: &[u8]) -> bool {
        let Some(node) = self.tree.find(topic) else { return false };
        let count = self.tree.value_mut(node);
        if *count == 0 {
            return false;
        }
        *count -= 1;
        if *count > 0 {
            return false;
        }
        self.topics -= 1;
        self.tree.prune(node, |&count| count == 0);
        true
    }

    /// Whether some topic is a prefix of `data` (the empty topic matches everything).
    pub fn check(&self, data: &[u8]) -> bool {
        let mut found = false;
        self.tree.for_each_prefix_of(data, |&count| found |= count > 0);
        found
    }

    /// Calls `f` once for each distinct topic, in byte order.
    pub fn for_each_topic(&self, mut f: impl FnMut(&[u8])) {
        self.tree.walk(|topic, &count| {
            if count > 0 {
                f(topic);
            }
        });
    }

    /// Distinct topics subscribed (ZMQ_TOPICS_COUNT).
    pub fn topic_count(&self) -> usize {
        self.topics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(trie: &Trie) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        trie.for_each_topic(|topic| out.push(topic.to_vec()));
        out
    }

    #[test]
    fn topic_matches_messages_it_prefixes() {
        let mut trie = Trie::default();
        trie.add(b"abc");
        assert!(trie.check(b"abc"));
        assert!(trie.check(b"abcdef"));
        assert!(!trie.check(b"ab"));
        assert!(!trie.check(b"xyz"));
    }

    #[test]
    fn empty_topic_matches_everything() {
        let mut trie = Trie::default();
        assert!(!trie.check(b""));
        trie.add(b"");
        assert!(trie.check(b""));
        assert!(trie.check(b"anything"));
    }

    #[test]
    fn only_first_add_and_last_rm_report_a_change() {
        let mut trie = Trie::default();
        assert!(trie.add(b"a"));
        assert!(!trie.add(b"a"));
        assert!(!trie.rm(b"a"));
        assert!(trie.check(b"a"));
        assert!(trie.rm(b"a"));
        assert!(!trie.check(b"a"));
    }

    #[test]
    fn removing_unknown_topic_changes_nothing() {
        let mut trie = Trie::default();
        trie.add(b"abc");
        assert!(!trie.rm(b"ab"));
        assert!(!trie.rm(b"abcd"));
        assert!(!trie.rm(b"x"));
        assert_eq!(trie.topic_count(), 1);
    }

    #[test]
    fn topics_are_listed_once_in_byte_order() {
        let mut trie = Trie::default();
        for topic in [&b"b"[..], b"a", b"ab", b"", b"a"] {
            trie.add(topic);
        }
        assert_eq!(topics(&trie), [&b""[..], b"a", b"ab", b"b"]);
        assert_eq!(trie.topic_count(), 4);
    }

    #[test]
    fn removed_topics_leave_no_nodes() {
        let mut trie = Trie::default();
        trie.add(b"abcdef");
        trie.add(b"abc");
        trie.rm(b"abcdef");
        assert_eq!(trie.tree.live_nodes(), 4);
        trie.rm(b"abc");
        assert_eq!(trie.tree.live_nodes(), 1);
        assert_eq!(trie.topic_count(), 0);
    }

    #[test]
    fn very_long_topic_does_not_recurse() {
        let mut trie = Trie::default();
        let topic = vec![7u8; 1_000_000];
        trie.add(&topic);
        assert!(trie.check(&topic));
        assert_eq!(topics(&trie).len(), 1);
        assert!(trie.rm(&topic));
        assert_eq!(trie.tree.live_nodes(), 1);
    }
}
