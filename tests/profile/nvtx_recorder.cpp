// A stand-in for Nsight Systems: an NVTX injection library (loaded through NVTX_INJECTION64_PATH, as
// Nsight's own is) that writes every range NTP opens and closes to the file $NTP_NVTX_LOG, one per line.
#include <nvtx3/nvToolsExt.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace {

std::FILE* log_file = nullptr;
std::mutex log_mutex;

void write_line(const char* kind, const char* name) {
  const std::lock_guard<std::mutex> lock(log_mutex);
  if (log_file != nullptr) std::fprintf(log_file, "%s %s\n", kind, name);
}

int push(const char* message) {
  write_line("push", message);
  return 0;
}

int pop() {
  write_line("pop", "-");
  return 0;
}

nvtxRangeId_t next_range = 0;

nvtxRangeId_t start(const char* message) {
  write_line("start", message);
  return ++next_range;
}

void end(nvtxRangeId_t /*id*/) {
  write_line("end", "-");
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjectionNvtx2(
    NvtxGetExportTableFunc_t get_table) {
  const char* path = std::getenv("NTP_NVTX_LOG");
  if (path == nullptr) return 0;
  log_file = std::fopen(path, "w");
  if (log_file == nullptr) return 0;
  std::setvbuf(log_file, nullptr, _IOLBF, 0);
  const auto* callbacks = static_cast<const NvtxExportTableCallbacks*>(get_table(NVTX_ETID_CALLBACKS));
  NvtxFunctionTable table = nullptr;
  unsigned int size = 0;
  if (callbacks == nullptr || callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &table, &size) == 0)
    return 0;
  *table[NVTX_CBID_CORE_RangePushA] = reinterpret_cast<NvtxFunctionPointer>(&push);
  *table[NVTX_CBID_CORE_RangePop] = reinterpret_cast<NvtxFunctionPointer>(&pop);
  *table[NVTX_CBID_CORE_RangeStartA] = reinterpret_cast<NvtxFunctionPointer>(&start);
  *table[NVTX_CBID_CORE_RangeEnd] = reinterpret_cast<NvtxFunctionPointer>(&end);
  return 1;
}
