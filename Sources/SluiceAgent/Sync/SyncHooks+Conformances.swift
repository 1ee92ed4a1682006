import SluiceCanary
import SluiceSync

extension DriftDetector: AppliedStateTracker {}

extension CanaryController: DesiredStateOverlay {}
