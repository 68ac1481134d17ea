#include <algorithm>

#include "families.h"

namespace ntp {

namespace {
std::vector<OpSchema> build_table() {
  std::vector<OpSchema> table;
  for (auto family : {ops::dense_ops, ops::conv_ops, ops::pool_ops, ops::norm_ops, ops::activation_ops,
                      ops::rnn_ops, ops::attention_ops, ops::tensor_ops, ops::elementwise_ops,
                      ops::reduce_ops, ops::indexing_ops, ops::inlay_ops}) {
    for (auto& schema : family())
      table.push_back(std::move(schema));
  }
  return table;
}
}  // namespace

const std::vector<OpSchema>& all_ops() {
  static const std::vector<OpSchema> table = build_table();
  return table;
}

const OpSchema* find_op(const std::string& name) {
  const auto& table = all_ops();
  const auto found =
      std::find_if(table.begin(), table.end(), [&](const OpSchema& op) { return op.name == name; });
  return found == table.end() ? nullptr : &*found;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const auto& op : all_ops())
    names.push_back(op.name);
  return names;
}

}  // namespace ntp
