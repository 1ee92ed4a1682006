import NIOCore

/// The buffer a connection writes its messages into, used again for the next message once the
/// socket has written the last one (the channel then no longer shares its storage): on a keep-alive
/// connection a message costs no buffer allocation. A buffer still being written is left to the
/// channel and a new one allocated, as `ByteBuffer.clear` does; one grown past `keptCapacityLimit`
/// is not kept, so an idle connection holds at most that much.
struct RecycledBuffer {
    static let keptCapacityLimit = 8192

    private var kept: ByteBuffer?

    /// An empty buffer of at least `capacity` bytes.
    /// (`allocator` is asked only when no buffer is kept: getting a channel's retains the channel.)
    mutating func take(capacity: Int, allocator: @autoclosure () -> ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = kept else { return allocator().buffer(capacity: capacity) }
        kept = nil
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Remembers a buffer just handed to the channel, for the next message.
    mutating func keep(_ buffer: ByteBuffer) {
        kept = buffer.capacity <= Self.keptCapacityLimit ? buffer : nil
    }
}
