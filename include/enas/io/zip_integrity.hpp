/// @file
/// @brief The integrity check of a checkpoint's zip archive, held in memory, before LibTorch parses
/// it: every entry of the central directory found in the file, stored or deflated (as LibTorch
/// writes them: tensors stored, larger code files deflated), and its bytes, inflated when
/// deflated, matching the length and the CRC-32 that the directory records.
///
/// LibTorch 1.13 reads archives with a miniz built without CRC checks, and its TorchScript importer
/// crashes on some damaged entries (docs/reliability.md, "Fuzzing"); this check refuses a damaged
/// file first, with a CheckpointError that names the entry, the byte and what was found there. It
/// reads the archive the way miniz does (the last end record of the file, the zip64 records when
/// their locator is there, local headers found through the directory's offsets), so the bytes it
/// checks are the bytes LibTorch goes on to read.
#ifndef ENAS_IO_ZIP_INTEGRITY_HPP
#define ENAS_IO_ZIP_INTEGRITY_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "enas/core/error.hpp"

namespace enas::io {

namespace detail {
// Written here rather than taken from zlib: a header-only library must not add a link dependency
// to its users, and the GPU machine has no development packages to add one with.
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
/// The table of the zip (IEEE 802.3, reflected) polynomial, built once, when compiling.
inline constexpr std::array<std::uint32_t, 256> kCrc32Table = make_crc32_table();
}  // namespace detail

/// The CRC-32 of zip archives (polynomial 0xEDB88320, as zlib's `crc32`): of "123456789",
/// 0xCBF43926. `crc` continues a checksum over earlier bytes.
inline std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc = 0) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = detail::kCrc32Table[(crc ^ p[i]) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

namespace detail {
inline std::uint16_t zip_u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t zip_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t zip_u64(const unsigned char* p) {
  return static_cast<std::uint64_t>(zip_u32(p)) | (static_cast<std::uint64_t>(zip_u32(p + 4)) << 32);
}

inline std::string zip_hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%08llx", static_cast<unsigned long long>(v));
  return text;
}

/// A name from the file, quoted, its unprintable bytes as \xNN.
inline std::string zip_quoted(std::string_view name) {
  std::string out = "'";
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\'' && c != '\\') {
      out += c;
    } else {
      char text[8];
      std::snprintf(text, sizeof text, "\\x%02x", u);
      out += text;
    }
  }
  return out + "'";
}

/// `length` bytes from `offset` lie within the first `limit` bytes (no overflow: both come from the file).
inline bool zip_within(std::uint64_t offset, std::uint64_t length, std::uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

// Signatures and sizes of the zip records (PKWARE's APPNOTE, 4.3).
inline constexpr std::uint32_t kZipLocalSig = 0x04034b50, kZipCentralSig = 0x02014b50, kZipEndSig = 0x06054b50,
                               kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
inline constexpr std::uint64_t kZipLocalSize = 30, kZipCentralSize = 46, kZipEndSize = 22, kZip64EndSize = 56,
                               kZip64LocatorSize = 20;
/// How far from the end an end record can start: its size and the longest comment.
inline constexpr std::uint64_t kZipEndSearch = kZipEndSize + 0xFFFF;

/// A deflate stream that cannot be inflated; `why` says what was found.
struct InflateFailure {
  std::string why;
};

/// A canonical Huffman code (RFC 1951, 3.2.2): how many codes there are of each length, and the
/// symbols in the order of their codes.
struct HuffmanCode {
  std::array<std::uint16_t, 16> count{};
  std::array<std::uint16_t, 288> symbol{};

  /// The code of the code lengths `lengths[0, n)` (n <= 288; 0: the symbol is unused). Returns
  /// how many codes of the longest length are left unused (0: complete), negative when the
  /// lengths ask for more codes than there are.
  int build(const std::uint8_t* lengths, int n) {
    count.fill(0);
    for (int s = 0; s < n; ++s) ++count[lengths[s]];
    if (count[0] == n) return 0;  // no codes: decoding any symbol fails
    int left = 1;
    for (int length = 1; length < 16; ++length) {
      left = 2 * left - count[length];
      if (left < 0) return left;
    }
    std::array<std::uint16_t, 16> next{};
    for (int length = 1; length < 15; ++length) {
      next[length + 1] = static_cast<std::uint16_t>(next[length] + count[length]);
    }
    for (int s = 0; s < n; ++s) {
      if (lengths[s] != 0) symbol[next[lengths[s]]++] = static_cast<std::uint16_t>(s);
    }
    return left;
  }
};

/// Inflates a raw deflate stream (RFC 1951) without keeping its output: it counts the bytes and
/// computes their CRC-32, through a window of at most 32 KiB (the farthest a match reaches back).
/// Strict: a stream that ends early, a reserved block type, an over-subscribed or (but for a
/// single code) incomplete code, a symbol or distance outside the tables, or output beyond
/// `expected` bytes throws InflateFailure.
class Inflater {
 public:
  Inflater(const unsigned char* in, std::uint64_t in_size, std::uint64_t expected)
      : in_(in),
        in_size_(in_size),
        expected_(expected),
        window_(static_cast<std::size_t>(std::min<std::uint64_t>(expected, 32768))) {}

  void run() {
    for (bool last = false; !last;) {
      last = bits(1) == 1;
      switch (bits(2)) {
        case 0: stored_block(); break;
        case 1: fixed_block(); break;
        case 2: dynamic_block(); break;
        default: throw InflateFailure{"a block of the reserved type 3"};
      }
    }
  }
  std::uint64_t produced() const { return produced_; }
  std::uint32_t crc() const { return ~crc_; }
  /// How many input bytes were read so far.
  std::uint64_t position() const { return pos_; }

 private:
  std::uint32_t bits(int n) {  // n <= 13
    std::uint32_t v = bit_buffer_;
    while (bit_count_ < n) {
      if (pos_ == in_size_) throw InflateFailure{"the stream ends before its last block"};
      v |= static_cast<std::uint32_t>(in_[pos_++]) << bit_count_;
      bit_count_ += 8;
    }
    bit_buffer_ = v >> n;
    bit_count_ -= n;
    return v & ((1U << n) - 1U);
  }

  int decode(const HuffmanCode& h) {  // codes are packed from their most significant bit
    int code = 0, first = 0, index = 0;
    for (int length = 1; length < 16; ++length) {
      code |= static_cast<int>(bits(1));
      const int n = h.count[length];
      if (code - n < first) return h.symbol[index + (code - first)];
      index += n;
      first = (first + n) << 1;
      code <<= 1;
    }
    throw InflateFailure{"a code that its Huffman table lacks"};
  }

  void emit(unsigned char byte) {
    if (produced_ == expected_) {
      throw InflateFailure{"more than the " + std::to_string(expected_) + " bytes its directory records"};
    }
    window_[next_] = byte;
    if (++next_ == window_.size()) next_ = 0;
    crc_ = kCrc32Table[(crc_ ^ byte) & 0xFFU] ^ (crc_ >> 8);
    ++produced_;
  }

  void stored_block() {
    bit_buffer_ = 0;  // the rest of the current byte is padding
    bit_count_ = 0;
    if (in_size_ - pos_ < 4) throw InflateFailure{"the stream ends in a stored block's length"};
    const std::uint32_t length = zip_u16(in_ + pos_), complement = zip_u16(in_ + pos_ + 2);
    if (length != (~complement & 0xFFFFU)) {
      throw InflateFailure{"a stored block's length " + std::to_string(length) + " and its complement " +
                           std::to_string(complement) + " disagree"};
    }
    pos_ += 4;
    if (in_size_ - pos_ < length) {
      throw InflateFailure{"a stored block of " + std::to_string(length) + " bytes runs past the data"};
    }
    for (std::uint32_t i = 0; i < length; ++i) emit(in_[pos_++]);
  }

  void fixed_block() {
    static const auto codes = [] {  // RFC 1951, 3.2.6
      std::array<std::uint8_t, 288> lengths{};
      for (int s = 0; s < 288; ++s) lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
      std::array<std::uint8_t, 30> distances{};
      distances.fill(5);
      std::array<HuffmanCode, 2> c;
      c[0].build(lengths.data(), 288);
      c[1].build(distances.data(), 30);
      return c;
    }();
    codes_block(codes[0], codes[1]);
  }

  void dynamic_block() {
    const int literals = static_cast<int>(bits(5)) + 257, distances = static_cast<int>(bits(5)) + 1;
    const int length_codes = static_cast<int>(bits(4)) + 4;
    if (literals > 286 || distances > 30) {
      throw InflateFailure{"a block with " + std::to_string(literals) + " literal/length and " +
                           std::to_string(distances) + " distance codes (at most 286 and 30)"};
    }
    static constexpr std::array<std::uint8_t, 19> kOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                            11, 4,  12, 3, 13, 2, 14, 1, 15};
    std::array<std::uint8_t, 286 + 30> lengths{};
    for (int i = 0; i < length_codes; ++i) lengths[kOrder[i]] = static_cast<std::uint8_t>(bits(3));
    HuffmanCode length_code;
    if (length_code.build(lengths.data(), 19) != 0) throw InflateFailure{"an incomplete code of the code lengths"};
    lengths.fill(0);
    for (int i = 0; i < literals + distances;) {
      const int symbol = decode(length_code);
      if (symbol < 16) {
        lengths[i++] = static_cast<std::uint8_t>(symbol);
        continue;
      }
      if (symbol == 16 && i == 0) throw InflateFailure{"a repeated code length with none before it"};
      const std::uint8_t length = symbol == 16 ? lengths[i - 1] : 0;
      const int repeat = symbol == 16 ? 3 + static_cast<int>(bits(2))
                         : symbol == 17 ? 3 + static_cast<int>(bits(3))
                                        : 11 + static_cast<int>(bits(7));
      if (i + repeat > literals + distances) throw InflateFailure{"code lengths repeated past the end of the table"};
      for (int r = 0; r < repeat; ++r) lengths[i++] = length;
    }
    if (lengths[256] == 0) throw InflateFailure{"a block without an end-of-block code"};
    HuffmanCode literal_code, distance_code;
    // Incomplete codes are refused, but for a single code of one bit (RFC 1951, 3.2.7).
    const int left = literal_code.build(lengths.data(), literals);
    if (left < 0 || (left > 0 && literals != literal_code.count[0] + literal_code.count[1])) {
      throw InflateFailure{"an incomplete or over-subscribed literal/length code"};
    }
    const int distance_left = distance_code.build(lengths.data() + literals, distances);
    if (distance_left < 0 || (distance_left > 0 && distances != distance_code.count[0] + distance_code.count[1])) {
      throw InflateFailure{"an incomplete or over-subscribed distance code"};
    }
    codes_block(literal_code, distance_code);
  }

  void codes_block(const HuffmanCode& literal_code, const HuffmanCode& distance_code) {  // RFC 1951, 3.2.5
    static constexpr std::array<std::uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,
                                                                  15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
                                                                  67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::array<std::uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::array<std::uint16_t, 30> kDistanceBase = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr std::array<std::uint8_t, 30> kDistanceExtra = {0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                                                    4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                                                    9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int symbol = decode(literal_code);
      if (symbol < 256) {
        emit(static_cast<unsigned char>(symbol));
        continue;
      }
      if (symbol == 256) return;
      symbol -= 257;
      if (symbol >= 29) throw InflateFailure{"the invalid length symbol " + std::to_string(symbol + 257)};
      const std::uint32_t length = kLengthBase[symbol] + bits(kLengthExtra[symbol]);
      const int d = decode(distance_code);
      if (d >= 30) throw InflateFailure{"the invalid distance symbol " + std::to_string(d)};
      const std::uint64_t distance = kDistanceBase[d] + bits(kDistanceExtra[d]);
      if (distance > produced_) {
        throw InflateFailure{"a match " + std::to_string(distance) + " bytes back, after only " +
                             std::to_string(produced_) + " bytes"};
      }
      // distance <= produced_ <= expected_, and <= 32768: within the window.
      std::size_t from = (next_ + window_.size() - static_cast<std::size_t>(distance)) % window_.size();
      for (std::uint32_t i = 0; i < length; ++i) {
        emit(window_[from]);
        if (++from == window_.size()) from = 0;
      }
    }
  }

  const unsigned char* in_;
  std::uint64_t in_size_, expected_;
  std::uint64_t pos_ = 0, produced_ = 0;
  std::uint32_t bit_buffer_ = 0;
  int bit_count_ = 0;
  std::uint32_t crc_ = 0xFFFFFFFFU;
  std::vector<unsigned char> window_;
  std::size_t next_ = 0;  // where the next output byte goes in the window
};
}  // namespace detail

/// One entry of a checked archive. `name` points into the bytes given to verify_zip.
struct ZipEntry {
  std::string_view name;
  std::uint64_t header_offset = 0;    ///< its local header
  std::uint64_t data_offset = 0;      ///< its data, as stored in the file
  std::uint64_t compressed_size = 0;  ///< bytes of data in the file
  std::uint64_t size = 0;             ///< bytes of data once inflated (stored: the same)
  std::uint32_t method = 0;           ///< 0: stored, 8: deflated
  std::uint32_t crc = 0;              ///< the CRC-32 of the inflated data, as the directory records it
};

/// Checks the zip archive in `data[0, size)` before LibTorch parses it and returns its entries.
/// `what` names the archive in messages ("checkpoint /x/checkpoint-40.pt"). Refuses with a
/// CheckpointError naming the entry (where there is one), the byte offset, the value found and the
/// one expected: a file with no end record in its last 65,557 bytes (truncated, or not a zip), a
/// directory or a zip64 record that does not fit the file, an entry whose local header is not
/// where the directory says or names another entry, that is marked as a folder (miniz would read
/// it as empty), whose data run out of the file, that is compressed otherwise than by deflate, that
/// does not inflate, or whose bytes do not have the recorded length and CRC-32. Allocates the list
/// of entries, no more than the file holds (each takes at least 76 of its bytes), and a window of
/// at most 32 KiB while it inflates an entry.
inline std::vector<ZipEntry> verify_zip(const std::string& what, const char* data, std::size_t size) {
  using namespace detail;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  const auto n = static_cast<std::uint64_t>(size);
  const auto at = [](std::uint64_t offset) { return " (at byte " + std::to_string(offset) + ")"; };
  const auto refuse = [&](const std::string& text) { return CheckpointError(what + ": " + text); };

  if (n < kZipEndSize) {
    throw refuse("the file is " + std::to_string(n) +
                 " bytes long, shorter than a zip archive's end record (22 bytes) (truncated or empty file)");
  }
  // The end record: the last one in the file, where miniz looks for it.
  const std::uint64_t lowest = n > kZipEndSearch ? n - kZipEndSearch : 0;
  std::uint64_t end = n - kZipEndSize;
  while (zip_u32(bytes + end) != kZipEndSig) {
    if (end == lowest) {
      throw refuse("no zip end-of-central-directory record (0x06054b50) in its last " +
                   std::to_string(n - lowest) + " bytes (truncated file, or not a zip archive)");
    }
    --end;
  }
  const std::uint64_t comment = zip_u16(bytes + end + 20);
  if (end + kZipEndSize + comment != n) {
    throw refuse("the end record" + at(end) + " has a comment of " + std::to_string(comment) +
                 " bytes, which would end at byte " + std::to_string(end + kZipEndSize + comment) +
                 "; the file ends at byte " + std::to_string(n) + " (damaged file)");
  }
  std::uint64_t disk = zip_u16(bytes + end + 4), directory_disk = zip_u16(bytes + end + 6);
  std::uint64_t entries_here = zip_u16(bytes + end + 8), entries = zip_u16(bytes + end + 10);
  std::uint64_t directory_size = zip_u32(bytes + end + 12), directory = zip_u32(bytes + end + 16);
  std::uint64_t directory_limit = end;  // where the central directory must end

  // The zip64 end record, when its locator is just before the end record (LibTorch always writes
  // both): its counts and offsets replace those of the end record, as in miniz.
  if (end >= kZip64LocatorSize && zip_u32(bytes + end - kZip64LocatorSize) == kZip64LocatorSig) {
    const std::uint64_t locator = end - kZip64LocatorSize;
    const std::uint64_t record = zip_u64(bytes + locator + 8);
    if (locator < kZip64EndSize || record != locator - kZip64EndSize) {
      throw refuse("the zip64 locator" + at(locator) + " points at byte " + std::to_string(record) + ", expected " +
                   (locator < kZip64EndSize ? std::string("a zip64 end record before it, which has no room")
                                            : std::to_string(locator - kZip64EndSize) + ", just before it") +
                   " (damaged file)");
    }
    if (const auto disks = zip_u32(bytes + locator + 16), disk_of_record = zip_u32(bytes + locator + 4);
        disks != 1 || disk_of_record != 0) {
      throw refuse("the zip64 locator" + at(locator) + " counts " + std::to_string(disks) +
                   " disks and puts the zip64 end record on disk " + std::to_string(disk_of_record) +
                   ", expected 1 disk and disk 0 (damaged file)");
    }
    if (const auto sig = zip_u32(bytes + record); sig != kZip64EndSig) {
      throw refuse("the zip64 end record" + at(record) + " has signature " + zip_hex(sig) + ", expected " +
                   zip_hex(kZip64EndSig) + " (damaged file)");
    }
    if (const auto length = zip_u64(bytes + record + 4); length != kZip64EndSize - 12) {
      throw refuse("the zip64 end record" + at(record) + " gives its length as " + std::to_string(length) +
                   " bytes, expected 44 (damaged file)");
    }
    const std::uint64_t disk64 = zip_u32(bytes + record + 16), directory_disk64 = zip_u32(bytes + record + 20);
    const std::uint64_t entries_here64 = zip_u64(bytes + record + 24), entries64 = zip_u64(bytes + record + 32);
    const std::uint64_t size64 = zip_u64(bytes + record + 40), directory64 = zip_u64(bytes + record + 48);
    // Each field of the end record holds the same value, or all ones ("see the zip64 record").
    const auto same = [&](const char* field, std::uint64_t value32, std::uint64_t all_ones, std::uint64_t value64) {
      if (value32 != all_ones && value32 != value64) {
        throw refuse("the end record" + at(end) + " gives " + field + " as " + std::to_string(value32) +
                     ", its zip64 record " + std::to_string(value64) + " (damaged file)");
      }
    };
    same("the number of this disk", disk, 0xFFFF, disk64);
    same("the disk of the central directory", directory_disk, 0xFFFF, directory_disk64);
    same("the entries on this disk", entries_here, 0xFFFF, entries_here64);
    same("the number of entries", entries, 0xFFFF, entries64);
    same("the size of the central directory", directory_size, 0xFFFFFFFF, size64);
    same("the offset of the central directory", directory, 0xFFFFFFFF, directory64);
    disk = disk64;
    directory_disk = directory_disk64;
    entries_here = entries_here64;
    entries = entries64;
    directory_size = size64;
    directory = directory64;
    directory_limit = record;
  }
  if (disk != 0 || directory_disk != 0 || entries_here != entries) {
    throw refuse("the end record" + at(end) + " describes an archive split across disks (disk " +
                 std::to_string(disk) + ", directory on disk " + std::to_string(directory_disk) + ", " +
                 std::to_string(entries_here) + " of " + std::to_string(entries) +
                 " entries here), expected one file (damaged file)");
  }
  if (!zip_within(directory, directory_size, directory_limit) || directory + directory_size != directory_limit) {
    throw refuse("the central directory of " + std::to_string(directory_size) + " bytes from byte " +
                 std::to_string(directory) + " should end at byte " + std::to_string(directory_limit) +
                 ", where its end record starts (damaged file)");
  }
  if (entries > directory_size / kZipCentralSize || entries > n / (kZipCentralSize + kZipLocalSize)) {
    throw refuse("the end record" + at(end) + " counts " + std::to_string(entries) + " entries, more than its " +
                 std::to_string(directory_size) + "-byte central directory and the file can hold (damaged file)");
  }

  std::vector<ZipEntry> found;
  found.reserve(static_cast<std::size_t>(entries));  // at most n / 76 of them, checked above
  std::uint64_t cursor = directory;
  const std::uint64_t directory_end = directory + directory_size;
  for (std::uint64_t i = 0; i < entries; ++i) {
    const std::string record = "directory record " + std::to_string(i + 1) + " of " + std::to_string(entries);
    if (!zip_within(cursor, kZipCentralSize, directory_end)) {
      throw refuse(record + at(cursor) + " runs past the end of the central directory at byte " +
                   std::to_string(directory_end) + " (damaged file)");
    }
    const unsigned char* c = bytes + cursor;
    if (const auto sig = zip_u32(c); sig != kZipCentralSig) {
      throw refuse(record + at(cursor) + " has signature " + zip_hex(sig) + ", expected " + zip_hex(kZipCentralSig) +
                   " (damaged file)");
    }
    const std::uint64_t name_length = zip_u16(c + 28), extra_length = zip_u16(c + 30), comment_length = zip_u16(c + 32);
    const std::uint64_t record_length = kZipCentralSize + name_length + extra_length + comment_length;
    if (!zip_within(cursor, record_length, directory_end)) {
      throw refuse(record + at(cursor) + " is " + std::to_string(record_length) +
                   " bytes long and runs past the end of the central directory at byte " +
                   std::to_string(directory_end) + " (damaged file)");
    }
    ZipEntry e;
    e.name = std::string_view(reinterpret_cast<const char*>(c + kZipCentralSize), name_length);
    const std::string entry = "entry " + zip_quoted(e.name);
    const std::string in_directory = " (directory record at byte " + std::to_string(cursor) + ")";
    const std::uint32_t method = zip_u16(c + 10);
    const std::uint32_t attributes = zip_u32(c + 38);
    e.crc = zip_u32(c + 16);
    std::uint64_t compressed = zip_u32(c + 20), uncompressed = zip_u32(c + 24);
    std::uint64_t first_disk = zip_u16(c + 34);
    e.header_offset = zip_u32(c + 42);

    // Sizes and the offset that do not fit 32 bits are in the zip64 extra field, in this order,
    // each only when its field above is all ones (APPNOTE 4.5.3).
    if (uncompressed == 0xFFFFFFFF || compressed == 0xFFFFFFFF || e.header_offset == 0xFFFFFFFF ||
        first_disk == 0xFFFF) {
      const unsigned char* extra = c + kZipCentralSize + name_length;
      std::uint64_t pos = 0;
      bool seen = false;
      while (!seen && pos + 4 <= extra_length) {
        const std::uint64_t id = zip_u16(extra + pos), length = zip_u16(extra + pos + 2);
        if (length > extra_length - pos - 4) break;
        if (id == 0x0001) {
          seen = true;
          const unsigned char* field = extra + pos + 4;
          std::uint64_t left = length;
          const auto take = [&](std::uint64_t& value, std::uint64_t width) {
            if (left < width) {
              throw refuse(entry + in_directory + ": its zip64 extra field of " +
                           std::to_string(length) + " bytes lacks a value the record defers to it (damaged file)");
            }
            value = width == 8 ? zip_u64(field) : zip_u32(field);
            field += width;
            left -= width;
          };
          if (uncompressed == 0xFFFFFFFF) take(uncompressed, 8);
          if (compressed == 0xFFFFFFFF) take(compressed, 8);
          if (e.header_offset == 0xFFFFFFFF) take(e.header_offset, 8);
          if (first_disk == 0xFFFF) take(first_disk, 4);
        }
        pos += 4 + length;
      }
      if (!seen) {
        throw refuse(entry + in_directory +
                     " defers a size or offset to a zip64 extra field it does not have (damaged file)");
      }
    }
    if (first_disk != 0) {
      throw refuse(entry + in_directory + " starts on disk " + std::to_string(first_disk) +
                   ", expected 0 (damaged file)");
    }
    // miniz takes a name ending in '/' or the MS-DOS folder bit for a folder, and extracts nothing.
    if ((attributes & 0x10U) != 0 || (!e.name.empty() && e.name.back() == '/')) {
      throw refuse(entry + in_directory + " is marked as a folder (external attributes " +
                   zip_hex(attributes) + "), which LibTorch would read as empty (damaged file)");
    }

    // Its local header: inside the file, before the central directory, with the same name.
    if (!zip_within(e.header_offset, kZipLocalSize, directory)) {
      throw refuse(entry + ": its local header at byte " + std::to_string(e.header_offset) +
                   " does not fit before the central directory at byte " + std::to_string(directory) +
                   " (damaged file)");
    }
    const unsigned char* local = bytes + e.header_offset;
    if (const auto sig = zip_u32(local); sig != kZipLocalSig) {
      throw refuse(entry + at(e.header_offset) + " has local header signature " + zip_hex(sig) + ", expected " +
                   zip_hex(kZipLocalSig) + " (damaged file)");
    }
    const std::uint64_t local_name_length = zip_u16(local + 26), local_extra_length = zip_u16(local + 28);
    if (!zip_within(e.header_offset, kZipLocalSize + local_name_length + local_extra_length, directory)) {
      throw refuse(entry + at(e.header_offset) + ": its local header (" +
                   std::to_string(kZipLocalSize + local_name_length + local_extra_length) +
                   " bytes) runs into the central directory at byte " + std::to_string(directory) + " (damaged file)");
    }
    const std::string_view local_name(reinterpret_cast<const char*>(local + kZipLocalSize), local_name_length);
    if (local_name != e.name) {
      throw refuse(entry + at(e.header_offset) + ": its local header names it " + zip_quoted(local_name) +
                   " (damaged file)");
    }
    // Its data: inside the file, stored or deflated, as long as recorded, with the recorded CRC-32.
    e.data_offset = e.header_offset + kZipLocalSize + local_name_length + local_extra_length;
    e.compressed_size = compressed;
    e.size = uncompressed;
    e.method = method;
    if (!zip_within(e.data_offset, compressed, directory)) {
      throw refuse(entry + at(e.header_offset) + ": its " + std::to_string(compressed) + " bytes of data from byte " +
                   std::to_string(e.data_offset) + " run into the central directory at byte " +
                   std::to_string(directory) + " (damaged or truncated file)");
    }
    std::uint32_t actual = 0;
    if (method == 0) {
      if (uncompressed != compressed) {
        throw refuse(entry + at(e.header_offset) + " is stored in " + std::to_string(compressed) +
                     " bytes but records " + std::to_string(uncompressed) + " bytes uncompressed (damaged file)");
      }
      actual = crc32(bytes + e.data_offset, static_cast<std::size_t>(compressed));
    } else if (method == 8) {
      Inflater inflater(bytes + e.data_offset, compressed, uncompressed);
      try {
        inflater.run();
      } catch (const InflateFailure& f) {
        throw refuse(entry + at(e.header_offset) + " does not inflate: " + f.why + ", by byte " +
                     std::to_string(e.data_offset + inflater.position()) + " (damaged file)");
      }
      if (inflater.position() != compressed) {
        throw refuse(entry + at(e.header_offset) + ": its deflate stream ends at byte " +
                     std::to_string(e.data_offset + inflater.position()) + ", its directory records " +
                     std::to_string(compressed) + " compressed bytes, to byte " +
                     std::to_string(e.data_offset + compressed) + " (damaged file)");
      }
      if (inflater.produced() != uncompressed) {
        throw refuse(entry + at(e.header_offset) + " inflates to " + std::to_string(inflater.produced()) +
                     " bytes, its directory records " + std::to_string(uncompressed) + " (damaged file)");
      }
      actual = inflater.crc();
    } else {
      throw refuse(entry + at(e.header_offset) + " is compressed with method " + std::to_string(method) +
                   "; LibTorch stores entries (method 0) or deflates them (method 8) (written by another program?)");
    }
    if (actual != e.crc) {
      throw refuse(entry + at(e.header_offset) + " has CRC-32 " + zip_hex(actual) + ", its directory records " +
                   zip_hex(e.crc) + " (damaged file)");
    }
    found.push_back(e);
    cursor += record_length;
  }
  if (cursor != directory_end) {
    throw refuse("the central directory has " + std::to_string(directory_end - cursor) + " bytes after its " +
                 std::to_string(entries) + " entries" + at(cursor) + " (damaged file)");
  }
  return found;
}

}  // namespace enas::io

#endif  // ENAS_IO_ZIP_INTEGRITY_HPP
