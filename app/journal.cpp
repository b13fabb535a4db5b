#include "app/journal.hpp"

#include <vector>

namespace mpobench::app {

BackgroundJournal::BackgroundJournal(db::Repository& repository, std::int64_t run_id)
    : repository_(repository), run_id_(run_id), writer_([this] { write_loop(); }) {}

BackgroundJournal::~BackgroundJournal() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    writer_.join();
}

void BackgroundJournal::on_measurement(const Measurement& measurement) {
    {
        std::lock_guard lock(mutex_);
        if (failure_)
            std::rethrow_exception(failure_);
        queue_.push_back(measurement);
    }
    changed_.notify_all();
}

void BackgroundJournal::flush() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return (queue_.empty() && !writing_) || failure_; });
    if (failure_)
        std::rethrow_exception(failure_);
}

void BackgroundJournal::write_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty() && stopping_)
            return;
        // Rows that queued while the last commit synced go in one commit:
        // the journal keeps up however fast the bench measures.
        const std::vector<Measurement> batch(queue_.begin(), queue_.end());
        queue_.clear();
        writing_ = true;
        lock.unlock();
        try {
            if (batch.size() == 1)
                repository_.append_measurement(run_id_, batch.front());
            else
                repository_.append_measurements(run_id_, batch);
        } catch (const std::exception&) {
            // A database error, or anything else the write threw: kept for
            // the measuring thread (this thread has no one to tell).
            lock.lock();
            failure_ = std::current_exception();
            writing_ = false;
            queue_.clear();
            changed_.notify_all();
            return;
        }
        lock.lock();
        writing_ = false;
        changed_.notify_all();
    }
}

}  // namespace mpobench::app
