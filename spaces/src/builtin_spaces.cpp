#include "hwnas/spaces/search_space.h"

// Built-in spaces are registered here explicitly: self-registering statics in a static library can be
// dropped by the linker. One line per space.
namespace hwnas::spaces {

void register_nb201(SpaceRegistry& registry);
void register_fbnet(SpaceRegistry& registry);
void register_mobilenet(SpaceRegistry& registry);
void register_vit(SpaceRegistry& registry);

SpaceRegistry& space_registry() {
  static SpaceRegistry registry = [] {
    SpaceRegistry r("search space");
    register_nb201(r);
    register_fbnet(r);
    register_mobilenet(r);
    register_vit(r);
    return r;
  }();
  return registry;
}

}  // namespace hwnas::spaces
