// What kernel_check.cpp runs its cases on: device buffers fenced by guard pages, a seeded generator,
// and a runner that executes each case in a forked child so that a crash, an emulator error or a hang
// fails that case alone and the count of cases stays exact.
#pragma once

#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cuda_emulation.h"

namespace check {

// splitmix64 (Steele, Lea, Flood 2014): a fixed sequence on every platform, unlike std::normal_distribution.
class Rng {
   public:
    explicit Rng(uint64_t seed) : s_(seed) {}

    uint64_t next() {
        uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // Uniform in (0, 1].
    double uniform() { return static_cast<double>((next() >> 11) + 1) * 0x1p-53; }

    // Standard normal by Box-Muller.
    float normal() { return static_cast<float>(std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform())); }

    int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }

   private:
    uint64_t s_;
};

inline uint64_t seed_of(const std::string& s) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : s) {
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

// Device memory: n elements between two inaccessible pages, the data 16-byte aligned (as cudaMalloc's and
// the Java layout's) and ending at most 15 bytes before the upper guard. A kernel reading or writing past
// either page dies with SIGSEGV, which cuda_emulation reports with the kernel, block and thread; the few
// bytes between the data and the guards hold 0xFF (read: NaN) and must still hold it when the buffer goes.
template <typename T>
class Buffer {
   public:
    Buffer(const char* name, size_t n) : name_(name), n_(n) {
        page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
        const size_t bytes = (n * sizeof(T) + 15) / 16 * 16;
        span_ = std::max(page_, (bytes + page_ - 1) / page_ * page_);
        void* m = mmap(nullptr, span_ + 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m, page_, PROT_NONE) != 0
            || mprotect(static_cast<unsigned char*>(m) + page_ + span_, page_, PROT_NONE) != 0) {
            ra_emu::fail("cannot map buffer %s of %zu bytes", name, bytes);
        }
        map_ = static_cast<unsigned char*>(m);
        std::memset(map_ + page_, ra_emu::POISON, span_);
        data_ = reinterpret_cast<T*>(map_ + page_ + span_ - bytes);
    }

    Buffer(const char* name, const std::vector<T>& values) : Buffer(name, values.size()) {
        std::memcpy(data_, values.data(), values.size() * sizeof(T));
    }

    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    ~Buffer() {
        const unsigned char* lo = map_ + page_;
        const auto* begin = reinterpret_cast<const unsigned char*>(data_);
        const auto* end = reinterpret_cast<const unsigned char*>(data_ + n_);
        for (const unsigned char* p = lo; p < lo + span_; ++p) {
            if ((p < begin || p >= end) && *p != ra_emu::POISON) {
                ra_emu::fail("byte %td of buffer %s (%zu elements) was written outside its elements", p - begin, name_, n_);
            }
        }
        munmap(map_, span_ + 2 * page_);
    }

    T* get() const { return data_; }
    size_t size() const { return n_; }
    T& operator[](size_t i) const { return data_[i]; }
    std::vector<T> values() const { return std::vector<T>(data_, data_ + n_); }
    void fill_bytes(unsigned char b) const { std::memset(data_, b, n_ * sizeof(T)); }

   private:
    const char* name_;
    size_t n_;
    size_t page_ = 0;
    size_t span_ = 0;
    unsigned char* map_ = nullptr;
    T* data_ = nullptr;
};

// What a case reports: passed or not, and one line of numbers (errors against their tolerances).
struct Outcome {
    bool ok;
    std::string detail;
};

struct Case {
    std::string name;
    std::function<Outcome()> run;
    // Non-empty for a case that shows the emulator catching a fault: it passes when the child fails with
    // an error containing this text.
    std::string expected_error;
};

struct Running {
    pid_t pid;
    int fd;
    size_t index;
    std::string output;
};

[[noreturn]] inline void run_child(const Case& c, int fd, unsigned timeout_s) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    alarm(timeout_s);
    ra_emu::install_crash_report();
    const Outcome o = c.run();
    std::printf("%s", o.detail.c_str());
    std::fflush(stdout);
    std::_Exit(o.ok ? 0 : 1);
}

inline std::string one_line(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    for (char& ch : s) {
        if (ch == '\n') {
            ch = ';';
        }
    }
    return s;
}

inline std::string verdict(const Case& c, int status, const std::string& out, unsigned timeout_s, bool& ok) {
    const bool exited = WIFEXITED(status);
    if (!c.expected_error.empty()) {
        ok = exited && WEXITSTATUS(status) != 0 && out.find(c.expected_error) != std::string::npos;
        return ok ? "rejected as expected: " + one_line(out) : "expected an error containing \"" + c.expected_error + "\", got: " + one_line(out);
    }
    ok = exited && WEXITSTATUS(status) == 0;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        return "timed out after " + std::to_string(timeout_s) + " s " + one_line(out);
    }
    if (WIFSIGNALED(status)) {
        return std::string("killed by ") + strsignal(WTERMSIG(status)) + " " + one_line(out);
    }
    return one_line(out);
}

// Runs the cases, `jobs` children at a time, prints "ok|FAIL name: detail" in case order and the closing
// "N passed, M failed"; returns the number failed.
inline int run_all(const std::vector<Case>& cases, unsigned jobs, unsigned timeout_s) {
    std::fflush(stdout);
    std::vector<std::string> lines(cases.size());
    std::vector<bool> finished(cases.size()), passed(cases.size());
    std::vector<Running> running;
    size_t next = 0, printed = 0;
    while (printed < cases.size()) {
        while (next < cases.size() && running.size() < jobs) {
            int fds[2];
            if (pipe(fds) != 0) {
                ra_emu::fail("pipe: %s", std::strerror(errno));
            }
            const pid_t pid = fork();
            if (pid < 0) {
                ra_emu::fail("fork: %s", std::strerror(errno));
            }
            if (pid == 0) {
                close(fds[0]);
                run_child(cases[next], fds[1], timeout_s);
            }
            close(fds[1]);
            running.push_back({pid, fds[0], next++, {}});
        }
        std::vector<pollfd> polls;
        for (const Running& r : running) {
            polls.push_back({r.fd, POLLIN, 0});
        }
        if (poll(polls.data(), polls.size(), -1) < 0 && errno != EINTR) {
            ra_emu::fail("poll: %s", std::strerror(errno));
        }
        for (size_t i = running.size(); i-- > 0;) {
            if (!(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            Running& r = running[i];
            char buf[4096];
            const ssize_t n = read(r.fd, buf, sizeof buf);
            if (n > 0) {
                r.output.append(buf, static_cast<size_t>(n));
                continue;
            }
            close(r.fd);
            int status = 0;
            waitpid(r.pid, &status, 0);
            bool ok = false;
            lines[r.index] = verdict(cases[r.index], status, r.output, timeout_s, ok);
            passed[r.index] = ok;
            finished[r.index] = true;
            running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        }
        for (; printed < cases.size() && finished[printed]; ++printed) {
            std::printf("%-4s %s: %s\n", passed[printed] ? "ok" : "FAIL", cases[printed].name.c_str(), lines[printed].c_str());
            std::fflush(stdout);
        }
    }
    int failed = 0;
    for (bool p : passed) {
        failed += !p;
    }
    std::printf("%d passed, %d failed\n", static_cast<int>(cases.size()) - failed, failed);
    return failed;
}

}  // namespace check
