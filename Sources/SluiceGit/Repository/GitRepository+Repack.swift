import CLibGit2
import Foundation

extension GitRepository {
    /// The pack files in this repository's object database.
    var packFiles: [URL] {
        let directory = URL(fileURLWithPath: path).appendingPathComponent("objects/pack")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("pack-") && $0.hasSuffix(".pack") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Writes every object reachable from a ref into one new pack, then removes the packs it
    /// replaces: what `git gc` does once a repository holds more than `gc.autoPackLimit` packs.
    /// Each fetch adds a pack, so a cache polled for weeks would otherwise hold thousands.
    ///
    /// The new pack is complete on disk before any old one goes, so a crash in between leaves
    /// objects twice, never missing. Objects no ref reaches (a force-pushed branch's old commits)
    /// are not carried over.
    /// - Returns: the number of packs replaced.
    @discardableResult
    func repack() throws(GitError) -> Int {
        let before = packFiles
        var builder: OpaquePointer?
        try check("git_packbuilder_new", reason: .cache) { git_packbuilder_new(&builder, handle) }
        defer { git_packbuilder_free(builder) }
        var walk: OpaquePointer?
        try check("git_revwalk_new", reason: .cache) { git_revwalk_new(&walk, handle) }
        defer { git_revwalk_free(walk) }

        // Commits and their trees through the walk; annotated tags are objects of their own.
        for target in try refTargets() {
            var object: OpaquePointer?
            var id = target
            try check("git_object_lookup", reason: .cache) { git_object_lookup(&object, handle, &id, GIT_OBJECT_ANY) }
            defer { git_object_free(object) }
            switch git_object_type(object) {
            case GIT_OBJECT_COMMIT:
                try check("git_revwalk_push", reason: .cache) { git_revwalk_push(walk, &id) }
            case GIT_OBJECT_TAG:
                try check("git_packbuilder_insert_recur", reason: .cache) { git_packbuilder_insert_recur(builder, &id, nil) }
                var peeled: OpaquePointer?
                try check("git_object_peel", reason: .cache) { git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) }
                defer { git_object_free(peeled) }
                var commit = git_object_id(peeled)!.pointee
                try check("git_revwalk_push", reason: .cache) { git_revwalk_push(walk, &commit) }
            default:
                try check("git_packbuilder_insert_recur", reason: .cache) { git_packbuilder_insert_recur(builder, &id, nil) }
            }
        }
        try check("git_packbuilder_insert_walk", reason: .cache) { git_packbuilder_insert_walk(builder, walk) }
        let directory = URL(fileURLWithPath: path).appendingPathComponent("objects/pack").path
        try check("git_packbuilder_write", reason: .cache) { git_packbuilder_write(builder, directory, 0, nil, nil) }

        let written = "pack-" + String(cString: git_packbuilder_name(builder)) + ".pack"
        var replaced = 0
        for pack in before where pack.lastPathComponent != written {
            let index = pack.deletingPathExtension().appendingPathExtension("idx")
            try? FileManager.default.removeItem(at: index)
            try? FileManager.default.removeItem(at: pack)
            replaced += 1
        }
        var database: OpaquePointer?
        if git_repository_odb(&database, handle) == 0 {
            git_odb_refresh(database)
            git_odb_free(database)
        }
        return replaced
    }

    /// The object every ref points at (symbolic refs resolved; duplicates once).
    private func refTargets() throws(GitError) -> [git_oid] {
        var names = git_strarray()
        try check("git_reference_list", reason: .cache) { git_reference_list(&names, handle) }
        defer { git_strarray_dispose(&names) }
        var seen = Set<String>()
        var targets: [git_oid] = []
        for index in 0..<names.count {
            guard let name = names.strings[index] else { continue }
            var id = git_oid()
            guard git_reference_name_to_id(&id, handle, name) == 0, seen.insert(id.hex).inserted else { continue }
            targets.append(id)
        }
        return targets
    }
}
