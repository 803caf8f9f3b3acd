import { PluginExtensionAddedLinkConfig } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import {
  EXPLORE_TOOLBAR_ACTION,
  ProfilesLinkContext,
  TRACE_VIEW_DETAILS,
  profilesLinkPath,
} from './domain/profilesLink';

// Title, description and targets must equal the `extensions.addedLinks` entry of plugin.json: Grafana ignores
// links a plugin does not declare there (a unit test compares them).
export const PROFILES_LINK: PluginExtensionAddedLinkConfig<ProfilesLinkContext> = {
  title: 'Open in Profiles Drilldown',
  description: 'The flame graph of the span (or of the Pyroscope query) in Profiles Drilldown',
  targets: [TRACE_VIEW_DETAILS, EXPLORE_TOOLBAR_ACTION],
  icon: 'fire',
  configure: (context) => {
    const path = profilesLinkPath(context);
    return path ? { path } : undefined;
  },
  // The trace view calls onClick and ignores the path.
  onClick: (_event, helpers) => {
    const path = profilesLinkPath(helpers.context);
    if (path) {
      locationService.push(path);
    }
  },
};
