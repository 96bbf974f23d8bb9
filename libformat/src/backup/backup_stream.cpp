// The backup stream (backup_stream.hpp) written with libarchive: pax-restricted tar (plain USTAR
// headers unless a name needs more), to a descriptor, each file copied in 1 MiB pieces.
#include "ifx/format/backup/backup_stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>

namespace ifx {
namespace fs = std::filesystem;

struct BackupStreamWriter::State {
  archive* ar = nullptr;
  std::string name;
  bool finished = false;
  ~State() {
    if (ar) archive_write_free(ar);
  }
  Error error(const std::string& what) const {
    const int e = archive_errno(ar);
    const std::string why = e == EPIPE ? std::string("the reader of the stream went away (broken pipe)")
                                       : (archive_error_string(ar) ? archive_error_string(ar) : std::strerror(e));
    return Error{ErrorCode::io, fmt::format("cannot write {} to {}: {}", what, name, why), {}, {}, {}};
  }
};

BackupStreamWriter::BackupStreamWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
BackupStreamWriter::BackupStreamWriter(BackupStreamWriter&&) noexcept = default;
BackupStreamWriter& BackupStreamWriter::operator=(BackupStreamWriter&&) noexcept = default;
BackupStreamWriter::~BackupStreamWriter() = default;

Result<BackupStreamWriter> BackupStreamWriter::open(int fd, std::string name) {
  auto s = std::make_unique<State>();
  s->name = std::move(name);
  s->ar = archive_write_new();
  archive_write_set_format_pax_restricted(s->ar);
  // No padding of the last record to 10 KiB: the stream ends after its end-of-archive marker.
  archive_write_set_bytes_in_last_block(s->ar, 1);
  if (archive_write_open_fd(s->ar, fd) != ARCHIVE_OK) return std::unexpected(s->error("the start of the stream"));
  return BackupStreamWriter(std::move(s));
}

Result<void> BackupStreamWriter::add_file(const std::string& name, const fs::path& source) {
  const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, fmt::format("cannot open {}: {}", source.string(), std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return fail(ErrorCode::io, fmt::format("cannot stat {}: {}", source.string(), std::strerror(errno)));
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_size(e, st.st_size);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0600);  // the users' password hashes are in the meta
  archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);
  archive_entry_set_uname(e, "root");
  archive_entry_set_gname(e, "root");
  const int header = archive_write_header(state_->ar, e);
  archive_entry_free(e);
  if (header != ARCHIVE_OK) return std::unexpected(state_->error(name));
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, fmt::format("cannot read {}: {}", source.string(), std::strerror(errno)));
    }
    if (n == 0) break;
    if (archive_write_data(state_->ar, buffer.data(), static_cast<std::size_t>(n)) != n)
      return std::unexpected(state_->error(name));
  }
  return {};
}

Result<void> BackupStreamWriter::finish() {
  if (state_->finished) return {};
  state_->finished = true;
  if (archive_write_close(state_->ar) != ARCHIVE_OK) return std::unexpected(state_->error("the end of the stream"));
  return {};
}

namespace {

class StreamingBackupWriter final : public BackupWriter {
 public:
  StreamingBackupWriter(PortableBackupWriter inner, BackupStreamWriter stream)
      : BackupWriter(inner.dir()), inner_(std::move(inner)), stream_(std::move(stream)) {}

  BackupFormat format() const override { return BackupFormat::Portable; }
  Result<std::string> write_meta(std::string_view meta_blob, std::string_view node_json) override {
    auto name = inner_.write_meta(meta_blob, node_json);
    if (!name) return name;
    if (auto r = emit(*name); !r) return std::unexpected(r.error());
    return name;
  }
  std::string shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const override {
    return inner_.shard_file_name(db, rp, id);
  }
  Result<ShardArchiveWriter> open_shard(std::string_view db, std::string_view rp, std::uint64_t id) override {
    if (auto f = failure()) return std::unexpected(*f);
    return inner_.open_shard(db, rp, id);
  }
  void add_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                 const ShardArchiveWriter& finished, const nlohmann::ordered_json& extra) override {
    inner_.add_shard(db, rp, id, tar_bytes, finished, extra);
    (void)emit(finished.path().filename().string());  // a failure is kept and returned by finish()
  }
  Result<void> adopt_shard(std::string_view, std::string_view, std::uint64_t, std::uint64_t,
                           const nlohmann::ordered_json&) override {
    return fail(ErrorCode::invalid_argument, "a backup written as a stream cannot keep files of an earlier run");
  }
  Result<std::string> finish(const std::optional<BackupScope>& scope, const nlohmann::ordered_json& extra) override {
    if (auto f = failure()) return std::unexpected(*f);
    auto name = inner_.finish(scope, extra);
    if (!name) return name;
    if (auto r = emit(*name); !r) return std::unexpected(r.error());
    std::lock_guard lock(mutex_);
    if (auto r = stream_.finish(); !r) return std::unexpected(r.error());
    return name;
  }

 private:
  std::optional<Error> failure() {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  // Appends a complete file of the scratch directory to the stream, then removes it.
  Result<void> emit(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (failure_) return std::unexpected(*failure_);
    auto r = stream_.add_file(name, dir_ / name);
    std::error_code ec;
    fs::remove(dir_ / name, ec);
    if (!r) failure_ = r.error();
    return r;
  }

  PortableBackupWriter inner_;
  BackupStreamWriter stream_;
  std::mutex mutex_;  // one entry at a time: shards finish on several threads
  std::optional<Error> failure_;
};

}  // namespace

Result<std::unique_ptr<BackupWriter>> create_streaming_backup_writer(fs::path scratch_dir, BackupWriterOptions options,
                                                                     int fd, std::string fd_name) {
  if (options.format != BackupFormat::Portable)
    return fail(ErrorCode::invalid_argument, "a backup stream holds a portable backup");
  auto inner = PortableBackupWriter::create(std::move(scratch_dir), std::move(options));
  if (!inner) return std::unexpected(inner.error());
  auto stream = BackupStreamWriter::open(fd, std::move(fd_name));
  if (!stream) return std::unexpected(stream.error());
  return std::make_unique<StreamingBackupWriter>(std::move(*inner), std::move(*stream));
}

}  // namespace ifx
