// The SQLite VFS shim of sqlite_env_vfs.h.
#include "db/sqlite_env_vfs.h"

#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cairn::db {
namespace {

// The shim VFS: SQLite's struct first, so a sqlite3_vfs* is one of these.
struct EnvVfs {
  sqlite3_vfs vfs;
  sqlite3_vfs* real;
  Env* env;
  std::string name;
};

// An open file: the shim's header, then the real VFS's file (szOsFile).
struct EnvFile {
  sqlite3_file base;
  Env* env;
  const char* path;  // SQLite keeps the name valid until xClose; "" for temporary files
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

EnvVfs* Shim(sqlite3_vfs* vfs) { return reinterpret_cast<EnvVfs*>(vfs); }
EnvFile* File(sqlite3_file* f) { return reinterpret_cast<EnvFile*>(f); }

// Asks the Env; SQLITE_OK, or the error the operation fails with.
int Ask(Env* env, ForeignFileOp::Kind kind, const char* path, uint64_t offset, uint64_t bytes,
        uint64_t file_size, int io_error) {
  ForeignFileOp op;
  op.kind = kind;
  op.path = path == nullptr ? "" : path;
  op.offset = offset;
  op.bytes = bytes;
  op.file_size = file_size;
  Status s = env->AllowForeignFileOp(op);
  if (s.ok()) return SQLITE_OK;
  return s.code() == StatusCode::kResourceExhausted ? SQLITE_FULL : io_error;
}

uint64_t SizeOf(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  return real->pMethods->xFileSize(real, &size) == SQLITE_OK ? static_cast<uint64_t>(size) : 0;
}

int Close(sqlite3_file* f) { return File(f)->real()->pMethods->xClose(File(f)->real()); }

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  EnvFile* file = File(f);
  int rc = Ask(file->env, ForeignFileOp::kRead, file->path, static_cast<uint64_t>(offset),
               static_cast<uint64_t>(n), 0, SQLITE_IOERR_READ);
  if (rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_IOERR_READ : rc;
  return file->real()->pMethods->xRead(file->real(), buf, n, offset);
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  EnvFile* file = File(f);
  int rc = Ask(file->env, ForeignFileOp::kWrite, file->path, static_cast<uint64_t>(offset),
               static_cast<uint64_t>(n), SizeOf(file->real()), SQLITE_IOERR_WRITE);
  if (rc != SQLITE_OK) return rc;
  return file->real()->pMethods->xWrite(file->real(), buf, n, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  EnvFile* file = File(f);
  int rc = Ask(file->env, ForeignFileOp::kTruncate, file->path, static_cast<uint64_t>(size), 0,
               SizeOf(file->real()), SQLITE_IOERR_TRUNCATE);
  if (rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_IOERR_TRUNCATE : rc;
  return file->real()->pMethods->xTruncate(file->real(), size);
}

int Sync(sqlite3_file* f, int flags) {
  EnvFile* file = File(f);
  int rc = Ask(file->env, ForeignFileOp::kSync, file->path, 0, 0, 0, SQLITE_IOERR_FSYNC);
  if (rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_IOERR_FSYNC : rc;
  return file->real()->pMethods->xSync(file->real(), flags);
}

// The rest goes straight to the real file.
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return File(f)->real()->pMethods->xFileSize(File(f)->real(), size);
}
int Lock(sqlite3_file* f, int level) {
  return File(f)->real()->pMethods->xLock(File(f)->real(), level);
}
int Unlock(sqlite3_file* f, int level) {
  return File(f)->real()->pMethods->xUnlock(File(f)->real(), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return File(f)->real()->pMethods->xCheckReservedLock(File(f)->real(), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return File(f)->real()->pMethods->xFileControl(File(f)->real(), op, arg);
}
int SectorSize(sqlite3_file* f) { return File(f)->real()->pMethods->xSectorSize(File(f)->real()); }
int DeviceCharacteristics(sqlite3_file* f) {
  return File(f)->real()->pMethods->xDeviceCharacteristics(File(f)->real());
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  sqlite3_file* real = File(f)->real();
  if (real->pMethods->iVersion < 2 || real->pMethods->xShmMap == nullptr) return SQLITE_IOERR;
  return real->pMethods->xShmMap(real, page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  sqlite3_file* real = File(f)->real();
  if (real->pMethods->iVersion < 2 || real->pMethods->xShmLock == nullptr) return SQLITE_IOERR;
  return real->pMethods->xShmLock(real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  sqlite3_file* real = File(f)->real();
  if (real->pMethods->iVersion >= 2 && real->pMethods->xShmBarrier != nullptr)
    real->pMethods->xShmBarrier(real);
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  sqlite3_file* real = File(f)->real();
  if (real->pMethods->iVersion < 2 || real->pMethods->xShmUnmap == nullptr) return SQLITE_OK;
  return real->pMethods->xShmUnmap(real, delete_flag);
}
// Memory-mapped reads would bypass xRead: declined, SQLite then reads.
int Fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     Fetch,
                                     Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  EnvVfs* shim = Shim(vfs);
  EnvFile* file = File(f);
  file->base.pMethods = nullptr;
  file->env = shim->env;
  file->path = name == nullptr ? "" : name;
  int rc = Ask(shim->env, ForeignFileOp::kOpen, file->path, 0, 0, 0, SQLITE_CANTOPEN);
  if (rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_FULL : SQLITE_CANTOPEN;
  rc = shim->real->xOpen(shim->real, name, file->real(), flags, out_flags);
  if (rc == SQLITE_OK && file->real()->pMethods != nullptr) file->base.pMethods = &kMethods;
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  EnvVfs* shim = Shim(vfs);
  int rc = Ask(shim->env, ForeignFileOp::kDelete, name, 0, 0, 0, SQLITE_IOERR_DELETE);
  if (rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_IOERR_DELETE : rc;
  return shim->real->xDelete(shim->real, name, sync_dir);
}

int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Shim(vfs)->real->xAccess(Shim(vfs)->real, name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Shim(vfs)->real->xFullPathname(Shim(vfs)->real, name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return Shim(vfs)->real->xDlOpen(Shim(vfs)->real, name);
}
void DlError(sqlite3_vfs* vfs, int n, char* out) {
  Shim(vfs)->real->xDlError(Shim(vfs)->real, n, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Shim(vfs)->real->xDlSym(Shim(vfs)->real, handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Shim(vfs)->real->xDlClose(Shim(vfs)->real, handle); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Shim(vfs)->real->xRandomness(Shim(vfs)->real, n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Shim(vfs)->real->xSleep(Shim(vfs)->real, micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return Shim(vfs)->real->xCurrentTime(Shim(vfs)->real, out);
}
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Shim(vfs)->real->xGetLastError(Shim(vfs)->real, n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  sqlite3_vfs* real = Shim(vfs)->real;
  if (real->iVersion >= 2 && real->xCurrentTimeInt64 != nullptr)
    return real->xCurrentTimeInt64(real, out);
  double days = 0;
  int rc = real->xCurrentTime(real, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

}  // namespace

const char* EnvVfsName(Env* env) {
  static std::mutex mu;
  static std::map<Env*, std::unique_ptr<EnvVfs>> shims;
  std::lock_guard<std::mutex> lock(mu);
  auto& shim = shims[env];
  if (shim) return shim->name.c_str();
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) return nullptr;
  shim = std::make_unique<EnvVfs>();
  char name[48];
  std::snprintf(name, sizeof name, "cairn-env-%p", static_cast<void*>(env));
  shim->name = name;
  shim->real = real;
  shim->env = env;
  sqlite3_vfs& v = shim->vfs;
  v = sqlite3_vfs{};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(EnvFile)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = shim->name.c_str();
  v.pAppData = nullptr;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&v, /*makeDflt=*/0) != SQLITE_OK) {
    shim.reset();
    shims.erase(env);
    return nullptr;
  }
  return shim->name.c_str();
}

}  // namespace cairn::db
