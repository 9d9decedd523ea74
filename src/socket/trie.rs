//! Prefix trees over byte strings, the storage of subscriptions. [`PrefixTree`] is the shared
//! structure (a value per prefix, prefix lookups, ordered walks); [`Trie`] is the subscriber's
//! own set of topics (SUB, XSUB), each with a count of how many times it was subscribed.
//!
//! Topics come from remote peers, so nothing here recurses: a peer controls the depth of the
//! tree (a topic a megabyte long is a path a megabyte deep), and a recursion that deep would
//! overflow the stack. Nodes live in an arena and refer to each other by index.
//!
//! Memory matters here (a publisher may hold hundreds of thousands of topics): a node's
//! children are inline while there is one (most nodes of a topic string), the arena shrinks
//! when most of it is free, and indices are 32-bit.

/// Index of the root node (the empty prefix) in the arena.
const ROOT: usize = 0;

/// A node's children by byte, in byte order.
enum Children {
    None,
    One(u8, u32),
    /// Sorted by byte; never fewer than two.
    Many(Vec<(u8, u32)>),
}

impl Children {
    fn get(&self, byte: u8) -> Option<usize> {
        match self {
            Children::None => None,
            Children::One(b, child) => (*b == byte).then_some(*child as usize),
            Children::Many(list) => {
                list.binary_search_by_key(&byte, |&(b, _)| b).ok().map(|i| list[i].1 as usize)
            }
        }
    }

    fn insert(&mut self, byte: u8, child: usize) {
        let child = u32::try_from(child).expect("fewer than 2^32 trie nodes");
        *self = match std::mem::replace(self, Children::None) {
            Children::None => Children::One(byte, child),
            Children::One(b, _) if b == byte => Children::One(byte, child),
            Children::One(b, c) => Children::Many(if b < byte {
                vec![(b, c), (byte, child)]
            } else {
                vec![(byte, child), (b, c)]
            }),
            Children::Many(mut list) => {
                match list.binary_search_by_key(&byte, |&(b, _)| b) {
                    Ok(i) => list[i].1 = child,
                    Err(i) => list.insert(i, (byte, child)),
                }
                Children::Many(list)
            }
        };
    }

    fn remove(&mut self, byte: u8) {
        *self = match std::mem::replace(self, Children::None) {
            Children::One(b, _) if b == byte => Children::None,
            Children::Many(mut list) => {
                if let Ok(i) = list.binary_search_by_key(&byte, |&(b, _)| b) {
                    list.remove(i);
                }
                match list.as_slice() {
                    [(b, c)] => Children::One(*b, *c),
                    _ => Children::Many(list),
                }
            }
            other => other,
        };
    }

    fn is_empty(&self) -> bool {
        matches!(self, Children::None)
    }

    /// Child indices in byte order.
    fn indices(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        let (one, many): (Option<u32>, &[(u8, u32)]) = match self {
            Children::None => (None, &[]),
            Children::One(_, c) => (Some(*c), &[]),
            Children::Many(list) => (None, list),
        };
        one.into_iter().chain(many.iter().map(|&(_, c)| c)).map(|c| c as usize)
    }

    fn remap(&mut self, new_index: &[u32]) {
        match self {
            Children::None => {}
            Children::One(_, c) => *c = new_index[*c as usize],
            Children::Many(list) => list.iter_mut().for_each(|(_, c)| *c = new_index[*c as usize]),
        }
    }
}

struct Node<V> {
    value: V,
    parent: u32,
    /// The last byte of this node's prefix (unused for the root).
    byte: u8,
    children: Children,
}

impl<V: Default> Node<V> {
    fn new(parent: usize, byte: u8) -> Self {
        Self { value: V::default(), parent: parent as u32, byte, children: Children::None }
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
        key.iter().try_fold(ROOT, |node, &byte| self.nodes[node].children.get(byte))
    }

    /// The node of `key`, created (with a default value) when missing.
    pub fn find_or_insert(&mut self, key: &[u8]) -> usize {
        let mut node = ROOT;
        for &byte in key {
            node = match self.nodes[node].children.get(byte) {
                Some(child) => child,
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
    /// tree never keeps paths that lead nowhere; gives memory back when most nodes are gone.
    /// Node indices held by the caller are invalid afterwards.
    pub fn prune(&mut self, node: usize, is_empty: impl Fn(&V) -> bool) {
        self.prune_path(node, &is_empty);
        self.shrink_if_sparse();
    }

    fn prune_path(&mut self, mut node: usize, is_empty: &impl Fn(&V) -> bool) {
        while node != ROOT && self.nodes[node].children.is_empty() && is_empty(&self.nodes[node].value) {
            let (parent, byte) = (self.nodes[node].parent as usize, self.nodes[node].byte);
            if self.nodes[parent].children.get(byte) != Some(node) {
                // Already pruned (a walk may name a node a deeper prune removed).
                return;
            }
            self.nodes[parent].children.remove(byte);
            self.nodes[node].value = V::default();
            self.free.push(node);
            node = parent;
        }
    }

    /// When three quarters of the arena are free slots, copies the live nodes into a fresh,
    /// right-sized arena (parents before children), so unsubscribing returns the memory that
    /// subscribing took instead of keeping it for reuse.
    fn shrink_if_sparse(&mut self) {
        if self.free.len() < 64 || self.free.len() * 4 < self.nodes.len() * 3 {
            return;
        }
        let mut old = std::mem::take(&mut self.nodes);
        let mut order = vec![ROOT];
        let mut next = 0;
        while next < order.len() {
            let node = order[next];
            order.extend(old[node].children.indices());
            next += 1;
        }
        let mut new_index = vec![0u32; old.len()];
        for (new, &node) in order.iter().enumerate() {
            new_index[node] = new as u32;
        }
        let mut nodes = Vec::with_capacity(order.len());
        for &node in &order {
            let mut moved = std::mem::replace(&mut old[node], Node::new(ROOT, 0));
            moved.parent = new_index[moved.parent as usize];
            moved.children.remap(&new_index);
            nodes.push(moved);
        }
        self.nodes = nodes;
        self.free = Vec::new();
    }

    /// Calls `f` with the value of every stored prefix of `data` (the empty prefix first).
    pub fn for_each_prefix_of(&self, data: &[u8], mut f: impl FnMut(&V)) {
        let mut node = ROOT;
        f(&self.nodes[node].value);
        for byte in data {
            match self.nodes[node].children.get(*byte) {
                Some(child) => node = child,
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
            stack.extend(self.nodes[node].children.indices().rev().map(|child| (child, depth + 1)));
        }
        // Deepest first, so a parent emptied too is pruned once its children are gone; indices
        // stay valid until the last one is pruned.
        for node in emptied.into_iter().rev() {
            self.prune_path(node, &is_empty);
        }
        self.shrink_if_sparse();
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
            stack.extend(self.nodes[node].children.indices().rev().map(|child| (child, depth + 1)));
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
    fn mass_unsubscribe_shrinks_the_arena_and_keeps_the_rest() {
        let mut trie = Trie::default();
        for k in 0..10_000 {
            trie.add(format!("topic/{k:05}").as_bytes());
        }
        let full = trie.tree.nodes.len();
        for k in 1..10_000 {
            assert!(trie.rm(format!("topic/{k:05}").as_bytes()));
        }
        // Compacted: no more slots than live nodes plus what removals since freed.
        assert!(trie.tree.nodes.len() * 4 < full, "arena of {} nodes kept", trie.tree.nodes.len());
        assert!(trie.check(b"topic/00000 and more"));
        assert!(!trie.check(b"topic/00001"));
        assert_eq!(topics(&trie), vec![b"topic/00000".to_vec()]);
        assert!(trie.rm(b"topic/00000"));
        assert_eq!(trie.tree.live_nodes(), 1);
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
