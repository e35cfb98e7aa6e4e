//! Which containers (functions, classes, loop bodies) hold a span, innermost first.
//!
//! Extraction links every call, string, assignment and member read to its innermost
//! function, class and loop. A scan over all containers per fact is quadratic: a 1 MiB file
//! of small generated functions spent most of its time there. Spans of syntax nodes nest
//! properly (two of them are nested or do not overlap), so the containers form a forest:
//! sorted by (start, larger first), the last one starting at or before a span's start is
//! either its innermost container or a descendant of it, and the innermost container is
//! found by a binary search and a walk up the parents.
//!
//! The answers are exactly those of the linear scans ([`innermost_linear`],
//! [`innermost_excluding_linear`]), ties included: among identical spans the highest index
//! wins. When the containers do not nest properly, or the span asked about is empty (it can
//! then sit in two touching containers), the linear scan answers.

use super::{Idx, Span};

const NONE: u32 = u32::MAX;

/// Containers with the same start and end.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: u32,
    end: u32,
    /// The innermost group that strictly contains this one, or `NONE`.
    parent: u32,
    /// The indices of its spans: `members[first..first + count]`, ascending.
    first: u32,
    count: u32,
}

impl Group {
    fn contains(&self, s: &Span) -> bool {
        self.start <= s.start && s.end <= self.end
    }
}

pub(super) struct Nest<'a> {
    spans: &'a [Span],
    /// Sorted by (start, end descending); empty when the spans do not nest properly.
    groups: Vec<Group>,
    /// `groups[i].start`, for the binary search.
    starts: Vec<u32>,
    members: Vec<Idx>,
    nested: bool,
}

impl<'a> Nest<'a> {
    pub(super) fn new(spans: &'a [Span]) -> Self {
        let mut order: Vec<Idx> = (0..spans.len() as Idx).collect();
        order.sort_by_key(|&i| {
            let s = &spans[i as usize];
            (s.start, std::cmp::Reverse(s.end), i)
        });
        let mut groups: Vec<Group> = Vec::new();
        let mut members = Vec::with_capacity(spans.len());
        for &i in &order {
            let s = &spans[i as usize];
            match groups.last_mut() {
                Some(g) if g.start == s.start && g.end == s.end => g.count += 1,
                _ => groups.push(Group {
                    start: s.start,
                    end: s.end,
                    parent: NONE,
                    first: members.len() as u32,
                    count: 1,
                }),
            }
            members.push(i);
        }
        // Parents with a stack of open groups; a group that neither contains the next one
        // nor ends before it starts crosses it: the spans do not nest.
        let mut stack: Vec<u32> = Vec::new();
        let mut nested = true;
        'groups: for gi in 0..groups.len() {
            let g = groups[gi];
            while let Some(&top) = stack.last() {
                let t = groups[top as usize];
                if t.start <= g.start && g.end <= t.end {
                    groups[gi].parent = top;
                    break;
                }
                if t.end > g.start {
                    nested = false;
                    break 'groups;
                }
                stack.pop();
            }
            stack.push(gi as u32);
        }
        if !nested {
            groups.clear();
            members.clear();
        }
        let starts = groups.iter().map(|g| g.start).collect();
        Nest {
            spans,
            groups,
            starts,
            members,
            nested,
        }
    }

    fn fast(&self, s: &Span) -> bool {
        self.nested && s.start < s.end
    }

    fn members(&self, g: &Group) -> &[Idx] {
        &self.members[g.first as usize..(g.first + g.count) as usize]
    }

    /// The groups that contain `s`, innermost first (only when [`Nest::fast`] holds).
    fn containing(&self, s: &Span) -> impl Iterator<Item = &Group> + '_ {
        let n = self.starts.partition_point(|&st| st <= s.start);
        let mut cur = if n == 0 { NONE } else { (n - 1) as u32 };
        let s = *s;
        std::iter::from_fn(move || {
            while cur != NONE {
                let g = &self.groups[cur as usize];
                cur = g.parent;
                if g.contains(&s) {
                    return Some(g);
                }
            }
            None
        })
    }

    /// The innermost container of `s` (the highest index among identical ones).
    pub(super) fn innermost(&self, s: &Span) -> Option<Idx> {
        if !self.fast(s) {
            return innermost_linear(self.spans, s);
        }
        self.containing(s)
            .next()
            .and_then(|g| self.members(g).last().copied())
    }

    /// The innermost container of `s` other than `spans[me]` and other than spans equal to
    /// `s` itself.
    pub(super) fn innermost_excluding(&self, s: &Span, me: usize) -> Option<Idx> {
        if !self.fast(s) {
            return innermost_excluding_linear(self.spans, s, me);
        }
        for g in self.containing(s) {
            let found = self
                .members(g)
                .iter()
                .rev()
                .find(|&&i| i as usize != me && self.spans[i as usize] != *s);
            if let Some(&i) = found {
                return Some(i);
            }
        }
        None
    }

    /// Whether some container inside `within` that contains `s` satisfies `pred` (given its
    /// index).
    pub(super) fn any_containing(
        &self,
        s: &Span,
        within: &Span,
        mut pred: impl FnMut(usize) -> bool,
    ) -> bool {
        if !self.fast(s) {
            return self
                .spans
                .iter()
                .enumerate()
                .any(|(i, c)| within.contains(c) && c.contains(s) && pred(i));
        }
        for g in self.containing(s) {
            // Containers further out contain this one: they are not inside `within` either.
            if !(within.start <= g.start && g.end <= within.end) {
                break;
            }
            if self.members(g).iter().any(|&i| pred(i as usize)) {
                return true;
            }
        }
        false
    }
}

/// The innermost span of `containers` that contains `span`, by a scan (the reference).
pub(super) fn innermost_linear(containers: &[Span], span: &Span) -> Option<Idx> {
    let mut best: Option<(Idx, u32)> = None;
    for (i, c) in containers.iter().enumerate() {
        if c.contains(span) && best.is_none_or(|(_, len)| c.len() <= len) {
            best = Some((i as Idx, c.len()));
        }
    }
    best.map(|(i, _)| i)
}

/// [`innermost_linear`] skipping `containers[me]` and spans equal to `span`.
pub(super) fn innermost_excluding_linear(
    containers: &[Span],
    span: &Span,
    me: usize,
) -> Option<Idx> {
    let mut best: Option<(Idx, u32)> = None;
    for (i, c) in containers.iter().enumerate() {
        if i == me || c == span {
            continue;
        }
        if c.contains(span) && best.is_none_or(|(_, len)| c.len() <= len) {
            best = Some((i as Idx, c.len()));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(start: u32, end: u32) -> Span {
        Span {
            start,
            end,
            ..Span::default()
        }
    }

    /// xorshift: reproducible without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 32) as u32
        }
        fn below(&mut self, n: u32) -> u32 {
            self.next() % n.max(1)
        }
    }

    /// Properly nested spans (a random tree), with duplicates and touching siblings.
    fn nested(rng: &mut Rng, start: u32, end: u32, depth: u32, out: &mut Vec<Span>) {
        out.push(sp(start, end));
        if rng.below(4) == 0 {
            out.push(sp(start, end));
        }
        if depth == 0 || end - start < 2 {
            return;
        }
        let mut at = start + rng.below(3);
        while at < end {
            let len = 1 + rng.below((end - at).min(12));
            let e = (at + len).min(end);
            if rng.below(3) > 0 {
                nested(rng, at, e, depth - 1, out);
            }
            at = e + rng.below(2);
        }
    }

    fn check(spans: &[Span], rng: &mut Rng) {
        let nest = Nest::new(spans);
        let max = spans.iter().map(|s| s.end).max().unwrap_or(0) + 2;
        let mut queries: Vec<Span> = spans.to_vec();
        for _ in 0..200 {
            let a = rng.below(max);
            let b = a + rng.below(6);
            queries.push(sp(a, b));
        }
        for q in &queries {
            assert_eq!(nest.innermost(q), innermost_linear(spans, q), "{q:?}");
            for me in [0, spans.len() / 2, spans.len()] {
                assert_eq!(
                    nest.innermost_excluding(q, me),
                    innermost_excluding_linear(spans, q, me),
                    "{q:?} me={me}"
                );
            }
            let within = sp(q.start.saturating_sub(rng.below(8)), q.end + rng.below(8));
            let odd = |i: usize| i % 2 == 1;
            let linear = spans
                .iter()
                .enumerate()
                .any(|(i, c)| within.contains(c) && c.contains(q) && odd(i));
            assert_eq!(nest.any_containing(q, &within, odd), linear, "{q:?}");
        }
    }

    #[test]
    fn same_answers_as_the_linear_scan_on_nested_spans() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let mut spans = Vec::new();
            let end = 40 + rng.below(200);
            nested(&mut rng, 0, end, 5, &mut spans);
            // Shuffle: the order of the input is the order of the indices.
            for i in (1..spans.len()).rev() {
                spans.swap(i, rng.below(i as u32 + 1) as usize);
            }
            let nest = Nest::new(&spans);
            assert!(nest.nested);
            check(&spans, &mut rng);
        }
    }

    #[test]
    fn same_answers_as_the_linear_scan_on_any_spans() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..300 {
            let n = rng.below(30);
            let spans: Vec<Span> = (0..n)
                .map(|_| {
                    let a = rng.below(60);
                    sp(a, a + rng.below(20))
                })
                .collect();
            check(&spans, &mut rng);
        }
    }

    #[test]
    fn crossing_spans_fall_back() {
        let spans = [sp(0, 10), sp(5, 15)];
        let nest = Nest::new(&spans);
        assert!(!nest.nested);
        assert_eq!(nest.innermost(&sp(6, 8)), Some(1));
        assert_eq!(nest.innermost(&sp(11, 12)), Some(1));
        assert_eq!(nest.innermost(&sp(1, 2)), Some(0));
    }

    #[test]
    fn empty_spans_in_touching_containers() {
        // [0,5] and [5,10] both contain the empty span at 5: the shorter (or later) wins.
        let spans = [sp(0, 5), sp(5, 10), sp(5, 7)];
        let nest = Nest::new(&spans);
        assert!(nest.nested);
        assert_eq!(nest.innermost(&sp(5, 5)), Some(2));
        assert_eq!(nest.innermost(&sp(6, 7)), Some(2));
        assert_eq!(nest.innermost(&sp(1, 3)), Some(0));
        assert_eq!(nest.innermost(&sp(11, 12)), None);
    }
}
