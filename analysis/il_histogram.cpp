#include <cmath>
#include <stdexcept>

#include "analysis/qa.hpp"

namespace mpobench::analysis {

namespace {

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7F) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

std::uint64_t take_varint(std::string_view bytes, std::size_t& at) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= bytes.size()) {
            throw std::invalid_argument("IL histogram: truncated number");
        }
        const auto byte = static_cast<unsigned char>(bytes[at++]);
        value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) {
            return value;
        }
    }
    throw std::invalid_argument("IL histogram: number longer than 64 bits");
}

}  // namespace

void IlHistogram::add(double il_db) {
    if (std::isnan(il_db)) {
        return;
    }
    const double position = std::floor((il_db - first_edge_db) / bin_width_db + 1e-9);
    const int index = position < 0            ? 0
                      : position >= bin_count ? bin_count - 1
                                              : static_cast<int>(position);
    ++bins_[static_cast<std::size_t>(index)];
    ++total_;
}

void IlHistogram::add_to_bin(int index, std::int64_t count) {
    if (index < 0 || index >= bin_count || count < 0) {
        throw std::out_of_range("IL histogram: bin " + std::to_string(index) + ", count " +
                                std::to_string(count));
    }
    bins_[static_cast<std::size_t>(index)] += count;
    total_ += count;
}

IlHistogram& IlHistogram::operator+=(const IlHistogram& other) {
    for (std::size_t i = 0; i < bins_.size(); ++i) {
        bins_[i] += other.bins_[i];
    }
    total_ += other.total_;
    return *this;
}

std::optional<double> IlHistogram::quantile_db(double q) const {
    if (total_ == 0) {
        return std::nullopt;
    }
    // The smallest bin whose cumulative count reaches q of the readings.
    const double wanted = std::ceil(q * static_cast<double>(total_) - 1e-9);
    std::int64_t cumulative = 0;
    for (int i = 0; i < bin_count; ++i) {
        cumulative += bins_[static_cast<std::size_t>(i)];
        if (static_cast<double>(cumulative) >= wanted && cumulative > 0) {
            return bin_lower_edge_db(i + 1);
        }
    }
    return bin_lower_edge_db(bin_count);
}

std::string IlHistogram::encode() const {
    std::string out;
    for (int i = 0; i < bin_count; ++i) {
        const auto count = bins_[static_cast<std::size_t>(i)];
        if (count != 0) {
            put_varint(out, static_cast<std::uint64_t>(i));
            put_varint(out, static_cast<std::uint64_t>(count));
        }
    }
    return out;
}

IlHistogram IlHistogram::decode(std::string_view bytes) {
    IlHistogram histogram;
    histogram.add_encoded(bytes);
    return histogram;
}

void IlHistogram::add_encoded(std::string_view bytes) {
    std::size_t at = 0;
    std::uint64_t previous = 0;
    bool first = true;
    while (at < bytes.size()) {
        const auto index = take_varint(bytes, at);
        const auto count = take_varint(bytes, at);
        if (index >= static_cast<std::uint64_t>(bin_count) || (!first && index <= previous) ||
            count == 0 || count > static_cast<std::uint64_t>(INT64_MAX / 2)) {
            throw std::invalid_argument("IL histogram: bad bin " + std::to_string(index));
        }
        bins_[index] += static_cast<std::int64_t>(count);
        total_ += static_cast<std::int64_t>(count);
        previous = index;
        first = false;
    }
}

}  // namespace mpobench::analysis
