// A host tensor: shape, element type and a 64-byte aligned buffer shared between copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ntp/dtype.h"
#include "ntp/graph.h"

namespace ntp {

class Tensor {
 public:
  Tensor() = default;
  Tensor(Shape shape, DType dtype);  // zero-filled

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  std::int64_t elements() const { return elements_; }
  std::size_t bytes() const { return static_cast<std::size_t>(elements_) * dtype_size(dtype_); }
  bool empty() const { return storage_ == nullptr; }

  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  // Typed views; the caller knows the dtype (checked in debug builds only by the caller's tests).
  template <class T>
  T* as() {
    return static_cast<T*>(data());
  }
  template <class T>
  const T* as() const {
    return static_cast<const T*>(data());
  }

  // A tensor of another shape over the same buffer (same element count).
  Tensor reshaped(Shape shape) const;
  // A deep copy.
  Tensor clone() const;

 private:
  Shape shape_;
  DType dtype_ = DType::f32;
  std::int64_t elements_ = 0;
  std::shared_ptr<std::byte> storage_;
};

// bf16 <-> f32, round to nearest even.
std::uint16_t f32_to_bf16(float value);
float bf16_to_f32(std::uint16_t value);

}  // namespace ntp
