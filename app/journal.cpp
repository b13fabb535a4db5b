#include "app/journal.hpp"

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
        const Measurement next = queue_.front();
        queue_.pop_front();
        writing_ = true;
        lock.unlock();
        try {
            repository_.append_measurement(run_id_, next);
        } catch (const db::DatabaseError&) {
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
