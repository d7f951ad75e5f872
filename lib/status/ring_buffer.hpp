#pragma once
// Fixed-capacity ring buffer: the newest `capacity` items, oldest first. Storage is allocated
// once at construction, so a daemon's memory does not grow with uptime (3600 points of history
// cost the same after a minute and after a year).

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace nanotime::status {

template <typename T>
class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity) : items_(capacity) {
    if (capacity == 0) throw std::invalid_argument("RingBuffer: capacity must be > 0");
  }

  std::size_t capacity() const { return items_.size(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends, overwriting the oldest item when full.
  void push(const T& item) {
    items_[(head_ + size_) % items_.size()] = item;
    if (size_ < items_.size()) {
      ++size_;
    } else {
      head_ = (head_ + 1) % items_.size();
    }
  }

  // i = 0 is the oldest item; i = size() - 1 the newest.
  const T& operator[](std::size_t i) const { return items_[(head_ + i) % items_.size()]; }
  T& operator[](std::size_t i) { return items_[(head_ + i) % items_.size()]; }
  const T& back() const { return (*this)[size_ - 1]; }
  T& back() { return (*this)[size_ - 1]; }

  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;  // index of the oldest item
  std::size_t size_ = 0;
};

}  // namespace nanotime::status
