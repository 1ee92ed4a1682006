/// A unified diff of two texts, line by line, as `diff -u` prints it (which `kubectl diff` runs):
/// `---`/`+++` headers, hunks with three lines of context, `\ No newline at end of file` when a
/// text does not end with one. Empty when the texts are equal.
public struct UnifiedDiff: Sendable {
    public var context: Int

    public init(context: Int = 3) {
        self.context = context
    }

    public func diff(_ old: String, _ new: String, oldLabel: String, newLabel: String) -> String {
        guard old != new else { return "" }
        let before = Self.lines(old)
        let after = Self.lines(new)
        // A last line without a newline differs from the same text with one, as in diff -u.
        let edits = Self.shortestEdit(before, after)
        var output = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(edits) {
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            let oldStart = hunk.first { $0.kind != .insert }.map { $0.oldIndex + 1 } ?? hunk[0].oldIndex
            let newStart = hunk.first { $0.kind != .delete }.map { $0.newIndex + 1 } ?? hunk[0].newIndex
            output += "@@ -\(Self.range(oldStart, oldCount)) +\(Self.range(newStart, newCount)) @@\n"
            for edit in hunk {
                let line = edit.kind == .insert ? after[edit.newIndex] : before[edit.oldIndex]
                let marker = switch edit.kind {
                case .keep: " "
                case .delete: "-"
                case .insert: "+"
                }
                output += marker + line.text + "\n"
                if !line.endsWithNewline { output += "\\ No newline at end of file\n" }
            }
        }
        return output
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }

    struct Line: Equatable {
        var text: Substring
        var endsWithNewline: Bool
    }

    private static func lines(_ text: String) -> [Line] {
        guard !text.isEmpty else { return [] }
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { parts.removeLast() }
        return parts.enumerated().map { index, part in
            Line(text: part, endsWithNewline: index < parts.count - 1 || endsWithNewline)
        }
    }

    struct Edit: Equatable {
        enum Kind { case keep, delete, insert }
        var kind: Kind
        var oldIndex: Int
        var newIndex: Int
    }

    /// Groups edits into hunks: each change with `context` unchanged lines around it, hunks whose
    /// context would touch merged into one.
    private func hunks(_ edits: [Edit]) -> [[Edit]] {
        let changed = edits.indices.filter { edits[$0].kind != .keep }
        guard !changed.isEmpty else { return [] }
        var ranges: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(edits.count - 1, index + context)
            if let last = ranges.last, range.lowerBound <= last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        return ranges.map { Array(edits[$0]) }
    }

    /// Myers' O(ND) shortest edit script, deletions before insertions within a change.
    static func shortestEdit<Element: Equatable>(_ a: [Element], _ b: [Element]) -> [Edit] {
        let n = a.count
        let m = b.count
        let maximum = n + m
        var frontier = [Int](repeating: 0, count: 2 * maximum + 2)
        var trace: [[Int]] = []
        search: for depth in 0...maximum {
            trace.append(frontier)
            for diagonal in stride(from: -depth, through: depth, by: 2) {
                let index = diagonal + maximum
                var x = diagonal == -depth || (diagonal != depth && frontier[index - 1] < frontier[index + 1])
                    ? frontier[index + 1] : frontier[index - 1] + 1
                var y = x - diagonal
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                frontier[index] = x
                if x >= n, y >= m { break search }
            }
        }
        // Walk back through the saved frontiers to recover the path.
        var edits: [Edit] = []
        var x = n
        var y = m
        for depth in stride(from: trace.count - 1, through: 0, by: -1) {
            let saved = trace[depth]
            let diagonal = x - y
            let previousDiagonal = diagonal == -depth || (diagonal != depth && saved[diagonal - 1 + maximum] < saved[diagonal + 1 + maximum])
                ? diagonal + 1 : diagonal - 1
            let previousX = depth == 0 ? 0 : saved[previousDiagonal + maximum]
            let previousY = previousX - previousDiagonal
            while x > previousX, y > previousY {
                x -= 1
                y -= 1
                edits.append(Edit(kind: .keep, oldIndex: x, newIndex: y))
            }
            if depth > 0 {
                if x == previousX {
                    y -= 1
                    edits.append(Edit(kind: .insert, oldIndex: x, newIndex: y))
                } else {
                    x -= 1
                    edits.append(Edit(kind: .delete, oldIndex: x, newIndex: y))
                }
            }
        }
        return edits.reversed()
    }
}
